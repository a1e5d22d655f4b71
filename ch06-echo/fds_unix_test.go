//go:build unix

package main

import (
	"syscall"

	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
)

// openFDs is reactortest's.
var openFDs = reactortest.OpenFDs

// fdLimit is the process's limit on open descriptors.
func fdLimit() (uint64, bool) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, false
	}
	return uint64(r.Cur), true
}
