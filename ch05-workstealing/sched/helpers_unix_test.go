//go:build linux || darwin || freebsd || netbsd || openbsd

package sched_test

import "github.com/asyncbook/asyncbook/ch04-reactor/reactortest"

// pipe is reactortest.Pipe: a non-blocking pipe, closed by Cleanup.
var pipe = reactortest.Pipe
