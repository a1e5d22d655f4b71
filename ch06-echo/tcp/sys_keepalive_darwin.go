package tcp

import "golang.org/x/sys/unix"

// setKeepAliveTimes sets the idle time before the first probe (macOS
// calls it TCP_KEEPALIVE), the interval between probes and their count
// (net/tcpsockopt_darwin.go).
func setKeepAliveTimes(fd int) error {
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPALIVE, keepAliveIdle); err != nil {
		return err
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, keepAliveInterval); err != nil {
		return err
	}
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT, keepAliveCount)
}
