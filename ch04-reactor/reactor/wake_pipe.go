//go:build netbsd || openbsd

package reactor

import (
	"os"

	"golang.org/x/sys/unix"
)

// waker is the kqueue wake-up where EVFILT_USER is missing (NetBSD and
// OpenBSD in x/sys/unix): a non-blocking pipe whose read end the kqueue
// watches, level-triggered. wake writes a byte; drain reads them all.
type waker struct {
	r, w int
}

func (k *waker) init(kq int) error {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return os.NewSyscallError("pipe2", err)
	}
	k.r, k.w = p[0], p[1]
	var ev [1]unix.Kevent_t
	unix.SetKevent(&ev[0], k.r, unix.EVFILT_READ, unix.EV_ADD)
	if _, err := unix.Kevent(kq, ev[:], nil, nil); err != nil {
		k.close()
		return os.NewSyscallError("kevent", err)
	}
	return nil
}

func (k *waker) wake(int) error {
	for {
		_, err := unix.Write(k.w, []byte{0})
		switch err {
		case unix.EINTR:
			continue
		case nil, unix.EAGAIN: // a full pipe is readable already
			return nil
		}
		return os.NewSyscallError("write", err)
	}
}

func (k *waker) is(e *unix.Kevent_t) bool {
	return int(e.Filter) == unix.EVFILT_READ && int(e.Ident) == k.r
}

func (k *waker) drain() {
	var buf [64]byte
	for {
		n, err := unix.Read(k.r, buf[:])
		if err == unix.EINTR {
			continue
		}
		if n <= 0 || err != nil {
			return
		}
	}
}

func (k *waker) close() error {
	err1 := unix.Close(k.r)
	err2 := unix.Close(k.w)
	if err1 != nil {
		return os.NewSyscallError("close", err1)
	}
	return os.NewSyscallError("close", err2)
}
