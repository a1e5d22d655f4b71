//go:build linux || darwin || freebsd || netbsd

package tcp

import "golang.org/x/sys/unix"

// setKeepAliveTimes sets the idle time before the first probe, the
// interval between probes and their count (net/tcpsockopt_unix.go).
func setKeepAliveTimes(fd int) error {
	err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, keepAliveIdleOpt,
		keepAliveIdle)
	if err != nil {
		return err
	}
	err = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL,
		keepAliveInterval)
	if err != nil {
		return err
	}
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT,
		keepAliveCount)
}
