//go:build !linux

package main

import (
	"errors"
	"io"
)

// shortReadDemo needs Linux: it asks the kernel, through TCP_INFO, when
// the bytes it sent have arrived.
func shortReadDemo(io.Writer) error {
	return errors.New("-shortread needs Linux")
}
