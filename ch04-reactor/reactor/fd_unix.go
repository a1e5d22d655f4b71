//go:build linux || darwin || freebsd || netbsd || openbsd

package reactor

import (
	"os"

	"golang.org/x/sys/unix"
)

// ANCHOR: regular-file

// isRegular reports whether fd is a regular file, which has no readiness:
// epoll_ctl refuses it with EPERM and kqueue reports it always readable.
func isRegular(fd int) (bool, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return false, os.NewSyscallError("fstat", err)
	}
	return uint32(st.Mode)&unix.S_IFMT == unix.S_IFREG, nil
}

// ANCHOR_END: regular-file
