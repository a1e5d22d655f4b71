//go:build !unix

package main

import "errors"

// selfCPU is not written for systems without getrusage.
func selfCPU() (int64, error) {
	return 0, errors.New("getrusage: not on this system")
}
