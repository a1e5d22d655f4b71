package tcp

// setKeepAliveTimes does nothing: OpenBSD has no per-socket keepalive
// times, only the system's (net/tcpsockopt_openbsd.go).
func setKeepAliveTimes(fd int) error { return nil }
