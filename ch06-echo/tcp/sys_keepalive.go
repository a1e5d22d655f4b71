//go:build linux || darwin || freebsd || netbsd || openbsd

package tcp

import (
	"os"

	"golang.org/x/sys/unix"
)

// The keepalive settings of every connection, package net's defaults
// (defaultTCPKeepAliveIdle, defaultTCPKeepAliveInterval and
// defaultTCPKeepAliveCount in net/dial.go): after 15 s without a byte
// the kernel sends a probe, then one every 15 s, and after 9 probes
// unanswered it resets the connection. A peer that vanished without a
// FIN or a reset (its cable pulled, its machine off) is so noticed
// after about 2.5 minutes, instead of never.
const (
	keepAliveIdle     = 15 // seconds
	keepAliveInterval = 15 // seconds
	keepAliveCount    = 9
)

// setKeepAlive turns on TCP keepalive for fd with the settings above,
// as package net does for every TCP connection it accepts or dials
// (newTCPConn in net/tcpsock.go, the setKeepAlive functions in
// net/tcpsockopt_*.go).
func setKeepAlive(fd int) error {
	err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
	if err == nil {
		err = setKeepAliveTimes(fd)
	}
	return os.NewSyscallError("setsockopt", err)
}
