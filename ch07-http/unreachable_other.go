//go:build !linux

package main

import "errors"

// listenFull is Linux's trick; elsewhere a full accept queue may answer
// a SYN with a reset, so /unreachable is not offered.
func listenFull() (addr string, close func(), err error) {
	return "", nil, errors.New("/unreachable needs Linux")
}
