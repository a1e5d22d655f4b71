//go:build unix

package fetch_test

import (
	"fmt"
	"testing"

	"golang.org/x/sys/unix"
)

// refusedAddr returns the address of a TCP socket that is bound but does
// not listen: a connection to it is refused, and no other program can
// take the port while the test runs (as it could once a listener closed).
func refusedAddr(t testing.TB) string {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0) // macOS has no SOCK_CLOEXEC
	if err != nil {
		t.Fatal(err)
	}
	unix.CloseOnExec(fd)
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", sa.(*unix.SockaddrInet4).Port)
}
