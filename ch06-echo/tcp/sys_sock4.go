//go:build linux || freebsd

package tcp

import (
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// newSocket opens a TCP socket for addr's family, non-blocking and
// close-on-exec from the start, in one system call.
func newSocket(addr netip.AddrPort) (int, error) {
	family := unix.AF_INET6
	if addr.Addr().Is4() {
		family = unix.AF_INET
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	return fd, nil
}

// acceptFD accepts one connection, non-blocking and close-on-exec from
// the start (accept4). It returns the raw errno, for Accept to tell apart.
func acceptFD(fd int) (int, unix.Sockaddr, error) {
	return unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
}
