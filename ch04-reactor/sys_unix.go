//go:build unix

package main

import (
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// errWouldBlock is what readFD returns when a read would have to wait:
// EAGAIN (EWOULDBLOCK is the same number on every system Go supports).
var errWouldBlock = unix.EAGAIN

// readFD reads from fd into p, retrying a read that a signal interrupted.
// It returns errWouldBlock itself, unwrapped, and wraps any other error
// with the name of the call.
func readFD(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Read(fd, p)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return 0, errWouldBlock
		case err != nil:
			return 0, os.NewSyscallError("read", err)
		}
		return n, nil
	}
}

// ANCHOR: nonblock

// ANCHOR: nonblock-flag

// nonblock puts fd into non-blocking mode and returns a function that
// puts back the mode it had. O_NONBLOCK is a flag of the open file
// description, not of our descriptor: a terminal or pipe on standard input
// shares it with the shell and with every other process that inherited it,
// and they would all find their reads failing with EAGAIN if we left it
// set. So restore is called on every way out: when the caller returns, and
// on SIGINT, SIGTERM or SIGHUP, after which the signal still kills us.
//
// restore may be called any number of times, from any goroutine; only the
// first call does anything. If fd was non-blocking already, it leaves it so.
func nonblock(fd int) (restore func(), err error) {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return nil, os.NewSyscallError("fcntl", err)
	}
	if flags&unix.O_NONBLOCK != 0 {
		return func() {}, nil // not ours to undo
	}
	// ANCHOR_END: nonblock-flag

	// ANCHOR: nonblock-signals
	// Catch the signals that would kill us, except those the shell told
	// us to ignore (a background job ignores SIGINT): Notify would undo that.
	var deadly []os.Signal
	for _, sig := range []os.Signal{unix.SIGINT, unix.SIGTERM, unix.SIGHUP} {
		if !signal.Ignored(sig) {
			deadly = append(deadly, sig)
		}
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, deadly...)
	if err := unix.SetNonblock(fd, true); err != nil {
		signal.Stop(sigs)
		return nil, os.NewSyscallError("fcntl", err)
	}

	var once sync.Once
	put := func() { once.Do(func() { unix.SetNonblock(fd, false) }) }
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			put()
			// Nobody is notified now, so the runtime's own handler
			// kills the program, as if we had never caught it.
			signal.Reset(sig)
			unix.Kill(unix.Getpid(), sig.(syscall.Signal))
		case <-done:
		}
	}()
	return sync.OnceFunc(func() {
		put()
		signal.Stop(sigs)
		close(done)
	}), nil
}

// ANCHOR_END: nonblock-signals
// ANCHOR_END: nonblock

// catchSIGPIPE makes a write to a standard output whose reader has gone
// return EPIPE instead of killing the program with SIGPIPE, so that run can
// restore standard input's flag and exit with status 1. main calls it once.
func catchSIGPIPE() { signal.Notify(make(chan os.Signal, 1), unix.SIGPIPE) }

// isBrokenPipe reports whether err is a write to a pipe or socket whose
// reader has gone away.
func isBrokenPipe(err error) bool { return errors.Is(err, unix.EPIPE) }

// newPipe returns a pipe whose read end is non-blocking. Both ends are
// close-on-exec, set while holding syscall.ForkLock for reading, as
// package os does where there is no pipe2: a fork on another goroutine
// between pipe and the flag would hand the pipe to the child, which could
// keep the write end open, and the reader from ever seeing end of file.
func newPipe() (r, w int, err error) {
	var fds [2]int
	syscall.ForkLock.RLock()
	err = unix.Pipe(fds[:])
	if err == nil {
		unix.CloseOnExec(fds[0])
		unix.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, -1, os.NewSyscallError("pipe", err)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return -1, -1, os.NewSyscallError("fcntl", err)
	}
	return fds[0], fds[1], nil
}

// writeFD writes all of p to the blocking descriptor fd.
func writeFD(fd int, p []byte) error {
	for len(p) > 0 {
		n, err := unix.Write(fd, p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return os.NewSyscallError("write", err)
		}
		p = p[n:]
	}
	return nil
}

// closeFD closes fd.
func closeFD(fd int) error { return unix.Close(fd) }
