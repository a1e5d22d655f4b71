package tcp_test

import "golang.org/x/sys/unix"

// kernelHeld asks the kernel how many bytes the owner of the TCP socket
// fd has read and not written back: bytes received minus those still
// queued for reading, less bytes acknowledged plus those still queued for
// sending. The four numbers are read one by one while packets may come
// and go; the order (received before the read queue, the send queue
// before the acknowledgements) makes every error an undercount, so a
// figure above a bound is a real excess, never a race of the reading.
// It reports false if the kernel cannot say.
func kernelHeld(fd int) (int64, bool) {
	in, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil || in.Bytes_received == 0 {
		return 0, false
	}
	inq, err := unix.IoctlGetInt(fd, unix.SIOCINQ)
	if err != nil {
		return 0, false
	}
	outq, err := unix.IoctlGetInt(fd, unix.SIOCOUTQ)
	if err != nil {
		return 0, false
	}
	out, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return 0, false
	}
	read := int64(in.Bytes_received) - int64(inq)
	written := int64(outq) + int64(out.Bytes_acked)
	return read - written, true
}
