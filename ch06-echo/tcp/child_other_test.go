//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package tcp_test

// runChild reports that this binary was not started as a child process:
// the tests that start one run only where there are sockets to test.
func runChild() (int, bool) { return 0, false }
