//go:build darwin || netbsd || openbsd

package tcp

import (
	"net/netip"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// newSocket opens a TCP socket for addr's family and makes it
// non-blocking and close-on-exec. macOS has no SOCK_NONBLOCK or
// SOCK_CLOEXEC (nor NetBSD and OpenBSD an accept4 in
// x/sys/unix), so, as package net does (sysSocket in
// net/sys_cloexec.go), the socket is opened under syscall.ForkLock, so
// that no fork in between inherits it.
func newSocket(addr netip.AddrPort) (int, error) {
	family := unix.AF_INET6
	if addr.Addr().Is4() {
		family = unix.AF_INET
	}
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("fcntl", err)
	}
	return fd, nil
}

// acceptFD accepts one connection and makes it non-blocking and
// close-on-exec, as package net's accept does on macOS.
func acceptFD(fd int) (int, netip.AddrPort, error) {
	syscall.ForkLock.RLock()
	nfd, sa, err := unix.Accept(fd)
	if err == nil {
		unix.CloseOnExec(nfd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, netip.AddrPort{}, err
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return -1, netip.AddrPort{}, err
	}
	return nfd, addrPort(sa), nil
}
