//go:build linux || darwin || freebsd || netbsd || openbsd

package tcp_test

func runChild() (int, bool) { return 0, false }
