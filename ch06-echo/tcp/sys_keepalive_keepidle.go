//go:build linux || freebsd || netbsd

package tcp

import "golang.org/x/sys/unix"

// keepAliveIdleOpt is the option that sets the idle time before the
// first probe.
const keepAliveIdleOpt = unix.TCP_KEEPIDLE
