package tcp

import "golang.org/x/sys/unix"

// keepAliveIdleOpt is the option that sets the idle time before the
// first probe: macOS calls it TCP_KEEPALIVE (net/tcpsockopt_darwin.go).
const keepAliveIdleOpt = unix.TCP_KEEPALIVE
