//go:build darwin || freebsd || netbsd || openbsd

package reactor

import (
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ANCHOR: kqueue

// ANCHOR: kqueue-new

// kqueuer is the poller of macOS and the BSDs. kqueue differs from epoll
// in three ways that matter here: interest is per filter, so one
// descriptor is two registrations (EVFILT_READ and EVFILT_WRITE); changes
// and the wait are the same system call, kevent; and the cross-thread
// wake-up can be an event of its own (EVFILT_USER) instead of a
// descriptor, where the system has it (see wake_user.go, wake_pipe.go).
type kqueuer struct {
	kq  int
	raw []unix.Kevent_t
	waker
	nesting
}

func newPoller() (poller, error) {
	// kqueue has no close-on-exec flag of its own (x/sys/unix offers no
	// kqueue1), so set it under syscall.ForkLock, as package os does for
	// pipes where pipe2 is missing: a fork between the two calls would
	// otherwise hand the descriptor to the child.
	syscall.ForkLock.RLock()
	kq, err := unix.Kqueue()
	if err == nil {
		unix.CloseOnExec(kq)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, os.NewSyscallError("kqueue", err)
	}
	p := &kqueuer{kq: kq, raw: make([]unix.Kevent_t, 128)}
	if err := p.waker.init(kq); err != nil {
		unix.Close(kq)
		return nil, err
	}
	return p, nil
}

// ANCHOR_END: kqueue-new

// ANCHOR: kqueue-add

func (p *kqueuer) add(fd int, gen uint32) error {
	// EV_CLEAR is kqueue's edge trigger: the event's state is reset once
	// it has been returned. The tag rides in udata (setTag).
	var ch [2]unix.Kevent_t
	unix.SetKevent(&ch[0], fd, unix.EVFILT_READ, unix.EV_ADD|unix.EV_CLEAR)
	unix.SetKevent(&ch[1], fd, unix.EVFILT_WRITE, unix.EV_ADD|unix.EV_CLEAR)
	setTag(&ch[0], gen)
	setTag(&ch[1], gen)
	return p.change(ch[:])
}

func (p *kqueuer) del(fd int) error {
	var ch [2]unix.Kevent_t
	unix.SetKevent(&ch[0], fd, unix.EVFILT_READ, unix.EV_DELETE)
	unix.SetKevent(&ch[1], fd, unix.EVFILT_WRITE, unix.EV_DELETE)
	return p.change(ch[:])
}

// ANCHOR_END: kqueue-add

// change applies changes without waiting for events.
func (p *kqueuer) change(ch []unix.Kevent_t) error {
	for {
		_, err := unix.Kevent(p.kq, ch, nil, nil)
		if err != unix.EINTR {
			return os.NewSyscallError("kevent", err)
		}
	}
}

// ANCHOR: kqueue-wait

func (p *kqueuer) wait(evs []event, timeout time.Duration) (int, error) {
	n, err := p.kevent(p.raw[:min(len(p.raw), len(evs))], timeout)
	if err == unix.EINTR {
		return 0, errInterrupted
	}
	if err != nil {
		return 0, os.NewSyscallError("kevent", err)
	}
	for i := range p.raw[:n] {
		e := &p.raw[i]
		if p.waker.is(e) {
			p.waker.drain()
			evs[i] = event{wake: true}
			continue
		}
		// An error is ready both ways: the call will tell.
		failed := e.Flags&unix.EV_ERROR != 0
		read := int(e.Filter) == unix.EVFILT_READ
		evs[i] = event{
			fd:    int(e.Ident),
			gen:   tag(e),
			read:  read || failed,
			write: int(e.Filter) == unix.EVFILT_WRITE || failed,
			eof:   read && e.Flags&unix.EV_EOF != 0 || failed,
		}
	}
	return n, nil
}

// ANCHOR_END: kqueue-wait

// kevent is the system call of wait: kevent with timeout, or, if
// UseNetpoller has handed the kqueue to Go's netpoller and the wait may
// block, peek each time the netpoller says the kqueue is readable.
func (p *kqueuer) kevent(raw []unix.Kevent_t, timeout time.Duration) (int, error) {
	if g := p.inGo.Load(); g != nil && timeout != 0 {
		return g.wait(timeout, len(raw))
	}
	var ts *unix.Timespec
	if timeout >= 0 {
		t := unix.NsecToTimespec(int64(timeout))
		ts = &t
	}
	return unix.Kevent(p.kq, nil, raw, ts)
}

// peek is kevent with a zero timeout, for at most max events.
func (p *kqueuer) peek(max int) (int, error) {
	var zero unix.Timespec
	return unix.Kevent(p.kq, nil, p.raw[:max], &zero)
}

func (p *kqueuer) useNetpoller() error {
	return p.nesting.useNetpoller(p.kq, p.peek)
}

// ANCHOR_END: kqueue

func (p *kqueuer) wake() error { return p.waker.wake(p.kq) }

func (p *kqueuer) close() error {
	err0 := p.closeNested()
	err1 := p.waker.close()
	err2 := os.NewSyscallError("close", unix.Close(p.kq))
	if err0 != nil {
		return err0
	}
	if err1 != nil {
		return err1
	}
	return err2
}
