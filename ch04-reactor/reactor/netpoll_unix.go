//go:build linux || darwin || freebsd || netbsd || openbsd

package reactor

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ANCHOR: in-go

// inGo is the poller's own descriptor handed to Go's netpoller, so that
// a blocking turn can wait as a goroutine instead of as a thread asleep
// in epoll_wait or kevent. An epoll or kqueue descriptor is itself a
// descriptor that can be polled: it is readable while events wait in it.
// Go's netpoller gets a duplicate, so the poller's own number stays valid
// for its non-blocking waits, and closing the duplicate closes nothing of
// the poller's.
type inGo struct {
	f    *os.File
	rc   syscall.RawConn
	peek func(max int) (int, error) // the poller's wait that does not wait
	try  func(uintptr) bool         // g.look, made once: see wait

	// One wait's state, for look. Only a turn waits, one at a time.
	max int
	n   int
	err error
}

// ANCHOR: in-go-new

// newInGo registers a duplicate of fd with Go's netpoller. peek is the
// poller's wait for at most max events with a timeout of zero.
func newInGo(fd int, peek func(max int) (int, error)) (*inGo, error) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("fcntl", err)
	}
	// os.NewFile registers a descriptor in non-blocking mode with the
	// netpoller. The flag is on the open file, shared with fd, and
	// changes nothing for epoll_wait or kevent.
	if err := unix.SetNonblock(dup, true); err != nil {
		unix.Close(dup)
		return nil, os.NewSyscallError("fcntl", err)
	}
	f := os.NewFile(uintptr(dup), "reactor poller")
	rc, err := f.SyscallConn()
	if err == nil {
		// Only a file in the netpoller has deadlines.
		err = f.SetReadDeadline(time.Time{})
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf(
			"reactor: Go's netpoller cannot wait for the poller: %w", err)
	}
	g := &inGo{f: f, rc: rc, peek: peek}
	g.try = g.look
	return g, nil
}

// ANCHOR_END: in-go-new

// ANCHOR: in-go-wait

// wait calls peek, which looks for at most max events without blocking,
// until it finds some (or fails), parking the goroutine in Go's
// netpoller between calls; or until timeout (negative: none) has passed.
// It returns what peek returned last: no events, if the time ran out.
//
// The function that RawConn.Read calls is g.look, made into a func value
// once, in newInGo, and its results go to fields of g: a closure made here
// that captured max, n and err would be allocated, with them, on every
// wait (it escapes through RawConn, an interface).
func (g *inGo) wait(timeout time.Duration, max int) (int, error) {
	var deadline time.Time
	if timeout >= 0 {
		deadline = time.Now().Add(timeout)
	}
	if err := g.f.SetReadDeadline(deadline); err != nil {
		return 0, err
	}
	g.max, g.n, g.err = max, 0, nil
	err := g.rc.Read(g.try)
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, err
	}
	return g.n, g.err // after a timeout: 0, nil
}

// look is one try of wait: a peek; done if it found events or failed.
func (g *inGo) look(uintptr) bool {
	g.n, g.err = g.peek(g.max)
	return g.n > 0 || g.err != nil
}

// ANCHOR_END: in-go-wait

// ANCHOR_END: in-go

// nesting is what a poller needs to wait in Go's netpoller: the inGo,
// once UseNetpoller has made it. A turn reads it with one atomic load.
type nesting struct {
	inGo atomic.Pointer[inGo]
}

// useNetpoller makes the inGo for fd, with the poller's peek, if there
// is none yet. It runs under the Reactor's kernelMu, held for writing.
func (n *nesting) useNetpoller(fd int, peek func(int) (int, error)) error {
	if n.inGo.Load() != nil {
		return nil
	}
	g, err := newInGo(fd, peek)
	if err != nil {
		return err
	}
	n.inGo.Store(g)
	return nil
}

// closeNested closes the netpoller's duplicate, if there is one.
func (n *nesting) closeNested() error {
	if g := n.inGo.Swap(nil); g != nil {
		return g.f.Close()
	}
	return nil
}
