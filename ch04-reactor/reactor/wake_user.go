//go:build darwin || freebsd

package reactor

import (
	"os"

	"golang.org/x/sys/unix"
)

// waker is the kqueue wake-up where EVFILT_USER exists: a user event in
// the kqueue itself, which another thread triggers with NOTE_TRIGGER. It
// needs no descriptor at all.
type waker struct{}

// wakeIdent is the user event's identifier; nothing else uses EVFILT_USER.
const wakeIdent = 0

func (waker) init(kq int) error {
	var ev [1]unix.Kevent_t
	unix.SetKevent(&ev[0], wakeIdent, unix.EVFILT_USER, unix.EV_ADD|unix.EV_CLEAR)
	_, err := unix.Kevent(kq, ev[:], nil, nil)
	return os.NewSyscallError("kevent", err)
}

func (waker) wake(kq int) error {
	var ev [1]unix.Kevent_t
	unix.SetKevent(&ev[0], wakeIdent, unix.EVFILT_USER, 0)
	ev[0].Fflags = unix.NOTE_TRIGGER
	for {
		_, err := unix.Kevent(kq, ev[:], nil, nil)
		if err != unix.EINTR {
			return os.NewSyscallError("kevent", err)
		}
	}
}

func (waker) is(e *unix.Kevent_t) bool { return int(e.Filter) == unix.EVFILT_USER }
func (waker) drain()                   {} // EV_CLEAR resets it
func (waker) close() error             { return nil }
