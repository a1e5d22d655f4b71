//go:build linux || darwin || freebsd || netbsd || openbsd

package reactortest

import (
	"testing"

	"golang.org/x/sys/unix"
)

// Pipe returns a non-blocking pipe that is closed when the test ends.
// (unix.Pipe2 is missing on macOS, so the flags are set one by one.)
func Pipe(t testing.TB) (rd, wr int) {
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
