//go:build linux || darwin || freebsd || netbsd || openbsd

package sched_test

import (
	"testing"

	"golang.org/x/sys/unix"
)

// pipe returns a non-blocking pipe that the test closes when it ends.
// (unix.Pipe2 is missing on macOS, so the flags are set one by one.)
func pipe(t testing.TB) (rd, wr int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	for _, fd := range p {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	return p[0], p[1]
}
