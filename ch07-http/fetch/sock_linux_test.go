package fetch_test

import (
	"fmt"
	"net"
	"testing"

	"golang.org/x/sys/unix"
)

// fullBacklog returns the address of a listener whose accept queue is
// full, and a function that accepts, without blocking, every connection
// that has completed, and says how many there were. It listens with a
// backlog of 1 and never accepts; two connections fill the queue, and
// Linux drops the SYN of every connection after them (tcp_conn_request,
// net/ipv4/tcp_input.c: sk_acceptq_is_full), so a connect to it neither
// succeeds nor fails: it waits, as one to a host that is down does.
func fullBacklog(t testing.TB) (addr string, drain func() int) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 1); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr = fmt.Sprintf("127.0.0.1:%d", sa.(*unix.SockaddrInet4).Port)
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("filling the accept queue of %s: %v", addr, err)
		}
		t.Cleanup(func() { c.Close() })
	}
	drain = func() int {
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			nfd, _, err := unix.Accept(fd)
			if err != nil {
				return n
			}
			unix.Close(nfd)
			n++
		}
	}
	return addr, drain
}
