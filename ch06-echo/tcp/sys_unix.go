//go:build linux || darwin || freebsd || netbsd || openbsd

package tcp

import (
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// listenSocket opens a non-blocking socket bound to addr and listening,
// with SO_REUSEADDR so that a restarted server can bind the port while
// connections of the old one are in TIME_WAIT, as package net does
// (setDefaultListenerSockopts in net/sockopt_posix.go).
func listenSocket(addr netip.AddrPort) (int, error) {
	fd, err := newSocket(addr)
	if err != nil {
		return -1, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("setsockopt", err)
	}
	if err := unix.Bind(fd, sockaddr(addr)); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("bind", err)
	}
	if err := unix.Listen(fd, listenBacklog()); err != nil {
		unix.Close(fd)
		return -1, os.NewSyscallError("listen", err)
	}
	return fd, nil
}

// listenBacklog is the kernel's limit, as package net reads it
// (maxListenerBacklog in net/sock_linux.go); the kernel caps the value
// given to listen at it anyway.
func listenBacklog() int {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		return unix.SOMAXCONN
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	if n <= 0 || n > 1<<16-1 {
		return unix.SOMAXCONN
	}
	return n
}

// dialSocket opens a non-blocking socket and starts connecting it to
// addr. inProgress reports that the handshake has not finished yet: the
// socket becomes writable when it has, and SO_ERROR then says how it went.
func dialSocket(addr netip.AddrPort) (fd int, inProgress bool, err error) {
	fd, err = newSocket(addr)
	if err != nil {
		return -1, false, err
	}
	switch err = unix.Connect(fd, sockaddr(addr)); err {
	case nil:
		return fd, false, nil
	case unix.EINPROGRESS, unix.EINTR:
		// The handshake goes on in the kernel (after EINTR too: a
		// second connect would say EALREADY). The socket becomes
		// writable when it is over.
		return fd, true, nil
	}
	unix.Close(fd)
	return -1, false, os.NewSyscallError("connect", err)
}

// connectResult is the outcome of a connect that was in progress.
func connectResult(fd int) error {
	n, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return os.NewSyscallError("getsockopt", err)
	}
	if n != 0 {
		return os.NewSyscallError("connect", unix.Errno(n))
	}
	return nil
}

// setNoDelay turns off Nagle's algorithm, as package net does for every
// TCP connection (newTCPConn in net/tcpsock_posix.go): an echo's small
// replies must go out at once, not wait for the peer's ACK.
func setNoDelay(fd int) error {
	return os.NewSyscallError("setsockopt", unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1))
}

// sockaddr converts addr for the system calls.
func sockaddr(addr netip.AddrPort) unix.Sockaddr {
	if addr.Addr().Is4() {
		return &unix.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()}
	}
	return &unix.SockaddrInet6{Port: int(addr.Port()), Addr: addr.Addr().As16()}
}

// addrPort converts a system call's address back.
func addrPort(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// localAddr is the address the kernel gave fd's end.
func localAddr(fd int) netip.AddrPort {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return netip.AddrPort{}
	}
	return addrPort(sa)
}

// readFD reads into p, retrying a read that a signal interrupted.
func readFD(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Read(fd, p)
		if err != unix.EINTR {
			if n < 0 {
				n = 0
			}
			return n, err
		}
	}
}

// writeFD writes from p, retrying a write that a signal interrupted.
func writeFD(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Write(fd, p)
		if err != unix.EINTR {
			if n < 0 {
				n = 0
			}
			return n, err
		}
	}
}

// The errors the futures tell apart.
var (
	errAgain = unix.EAGAIN
)

// tooManyFiles reports whether an accept failed for want of descriptors
// or kernel memory: the connection waits in the backlog, and retrying at
// once would fail the same way.
func tooManyFiles(err error) bool {
	return err == unix.EMFILE || err == unix.ENFILE || err == unix.ENOBUFS || err == unix.ENOMEM
}

// acceptAgain reports whether an accept failed for a reason that does not
// stop the listener: a signal, or a connection that was reset before it
// was accepted.
func acceptAgain(err error) bool {
	return err == unix.EINTR || err == unix.ECONNABORTED
}

func shutdownWrite(fd int) error {
	return os.NewSyscallError("shutdown", unix.Shutdown(fd, unix.SHUT_WR))
}

func closeFD(fd int) error { return os.NewSyscallError("close", unix.Close(fd)) }
