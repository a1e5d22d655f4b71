//go:build linux

package reactor

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// ANCHOR: epoll

// ANCHOR: epoll-new

// epoller is the Linux poller: an epoll instance, and an eventfd in it for
// the cross-thread wake-up, as in netpollinit in runtime/netpoll_epoll.go.
type epoller struct {
	epfd int
	evfd int
	raw  []unix.EpollEvent
	nesting
}

func newPoller() (poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	evfd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	// The eventfd is level-triggered: wait reads it empty whenever it is
	// reported, so it is reported once per batch of wake-ups.
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(evfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		unix.Close(evfd)
		unix.Close(epfd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	raw := make([]unix.EpollEvent, 128)
	return &epoller{epfd: epfd, evfd: evfd, raw: raw}, nil
}

// ANCHOR_END: epoll-new

// ANCHOR: epoll-add

func (p *epoller) add(fd int, gen uint32) error {
	// Both directions, edge-triggered, and EPOLLRDHUP so that a peer's
	// shutdown of its writing side counts as readable (the read says EOF).
	// The event's 64 bits of data carry the descriptor and the tag.
	ev := unix.EpollEvent{
		Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP |
			unix.EPOLLET,
		Fd:  int32(fd),
		Pad: int32(gen),
	}
	err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
	return os.NewSyscallError("epoll_ctl", err)
}

func (p *epoller) del(fd int) error {
	// EPOLL_CTL_DEL ignores the event; Linux before 2.6.9 required one.
	var ev unix.EpollEvent
	err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, &ev)
	return os.NewSyscallError("epoll_ctl", err)
}

// ANCHOR_END: epoll-add

// ANCHOR: epoll-wait

func (p *epoller) wait(evs []event, timeout time.Duration) (int, error) {
	raw := p.raw[:min(len(p.raw), len(evs))]
	n, err := p.epollWait(raw, timeout)
	if err == unix.EINTR {
		return 0, errInterrupted
	}
	if err != nil {
		return 0, os.NewSyscallError("epoll_wait", err)
	}
	// A hang-up or an error is ready both ways: the call will tell.
	const hangup = unix.EPOLLHUP | unix.EPOLLERR
	for i, e := range p.raw[:n] {
		if int(e.Fd) == p.evfd {
			p.drain()
			evs[i] = event{wake: true}
			continue
		}
		evs[i] = event{
			fd:    int(e.Fd),
			gen:   uint32(e.Pad),
			read:  e.Events&(unix.EPOLLIN|unix.EPOLLRDHUP|hangup) != 0,
			write: e.Events&(unix.EPOLLOUT|hangup) != 0,
			eof:   e.Events&(unix.EPOLLRDHUP|hangup) != 0,
		}
	}
	return n, nil
}

// ANCHOR_END: epoll-wait

// ANCHOR: epoll-wait-in-go

// epollWait is the system call of wait: epoll_wait with timeout, or, if
// UseNetpoller has handed the epoll descriptor to Go's netpoller and the
// wait may block, peek each time the netpoller says the descriptor is
// readable.
func (p *epoller) epollWait(
	raw []unix.EpollEvent, timeout time.Duration,
) (int, error) {
	if g := p.inGo.Load(); g != nil && timeout != 0 {
		return g.wait(timeout, len(raw))
	}
	ms := -1
	if timeout >= 0 {
		// Park rounds up to whole milliseconds and caps at maxWait, so
		// the value fits epoll_wait's C int; min makes sure of it.
		ms = int(min(timeout, maxWait) / time.Millisecond)
	}
	return unix.EpollWait(p.epfd, raw, ms)
}

// peek is epoll_wait without waiting, for at most max events.
func (p *epoller) peek(max int) (int, error) {
	return unix.EpollWait(p.epfd, p.raw[:max], 0)
}

// ANCHOR_END: epoll-wait-in-go

func (p *epoller) useNetpoller() error {
	return p.nesting.useNetpoller(p.epfd, p.peek)
}

// ANCHOR_END: epoll

// wake adds one to the eventfd's counter, which makes it readable.
func (p *epoller) wake() error {
	one := []byte{1, 0, 0, 0, 0, 0, 0, 0} // any non-zero 8-byte value will do
	for {
		_, err := unix.Write(p.evfd, one)
		switch err {
		case unix.EINTR:
			continue
		case nil, unix.EAGAIN: // EAGAIN: the counter is full, so already readable
			return nil
		}
		return os.NewSyscallError("write", err)
	}
}

// drain reads the eventfd's counter back to zero.
func (p *epoller) drain() {
	var buf [8]byte
	for {
		if _, err := unix.Read(p.evfd, buf[:]); err != unix.EINTR {
			return
		}
	}
}

func (p *epoller) close() error {
	err0 := p.closeNested()
	err1 := unix.Close(p.evfd)
	err2 := unix.Close(p.epfd)
	if err0 != nil {
		return err0
	}
	if err1 != nil {
		return os.NewSyscallError("close", err1)
	}
	return os.NewSyscallError("close", err2)
}
