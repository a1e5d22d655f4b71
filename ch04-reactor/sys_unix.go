//go:build unix

package main

import (
	"errors"
	"os"
	"os/signal"
	"slices"
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
		readMode.RLock()
		n, err := unix.Read(fd, p)
		readMode.RUnlock()
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

// readMode keeps reads apart from a stop (see nonblock): readFD holds it
// to read, and a stop holds it while standard input is blocking, so that
// no read starts, and blocks, in that time.
var readMode sync.RWMutex

// ANCHOR: nonblock

// ANCHOR: nonblock-flag

// nonblock puts fd into non-blocking mode and returns a function that
// puts back the mode it had. O_NONBLOCK is a flag of the open file
// description, not of our descriptor: a terminal or pipe on standard input
// shares it with the shell and with every other process that inherited it,
// and they would all find their reads failing with EAGAIN if we left it
// set. So restore is called on every way out: when the caller returns, and
// on every signal that would end the program and that a program may catch
// (SIGHUP, SIGINT, SIGQUIT, SIGABRT, SIGTERM), after which the signal
// still ends it, as it would have anyway. A stop (SIGTSTP, SIGTTIN,
// SIGTTOU: Ctrl-Z, or a background job touching the terminal) puts the
// flag back while the program is stopped, and sets it again when it is
// continued. SIGKILL and SIGSTOP cannot be caught, and a crash (a panic on
// another goroutine, a fatal runtime error) exits without running this
// code: after those the flag stays set.
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
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, catchable()...) // those that would end or stop us
	if err := unix.SetNonblock(fd, true); err != nil {
		signal.Stop(sigs)
		return nil, os.NewSyscallError("fcntl", err)
	}

	keep := &flagKeeper{fd: fd}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-sigs:
				if slices.Contains(stopSignals, sig) {
					keep.stop() // flag back while stopped, set again after
					continue
				}
				keep.put()
				// Nobody is notified now, so the runtime's own handler
				// ends the program, as if we had never caught it.
				signal.Reset(sig)
				unix.Kill(unix.Getpid(), sig.(syscall.Signal))
				return
			case <-done:
				return
			}
		}
	}()
	return sync.OnceFunc(func() {
		keep.put()
		signal.Stop(sigs)
		close(done)
	}), nil
}

// ANCHOR_END: nonblock-signals

// A flagKeeper puts back the mode a descriptor had before nonblock.
type flagKeeper struct {
	fd       int
	mu       sync.Mutex
	restored bool // the old mode is back for good
}

// put puts the old mode back for good.
func (k *flagKeeper) put() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.restored {
		k.restored = true
		unix.SetNonblock(k.fd, false)
	}
}

// stop stops the program with the old mode back, as if the stop signal
// had not been caught, and sets O_NONBLOCK again when the program is
// continued, unless put ran first. No read may start while the flag is
// off (it would block), so stop holds readMode; and since kill returns
// before every thread has stopped, it waits for the SIGCONT that ends the
// stop before it sets the flag again.
func (k *flagKeeper) stop() {
	readMode.Lock()
	defer readMode.Unlock()
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.restored {
		unix.SetNonblock(k.fd, false)
	}
	cont := make(chan os.Signal, 1)
	signal.Notify(cont, unix.SIGCONT)
	defer signal.Stop(cont)
	unix.Kill(unix.Getpid(), unix.SIGSTOP)
	<-cont
	if !k.restored {
		unix.SetNonblock(k.fd, true)
	}
}

// catchable returns the deadly and stop signals to catch: all of them
// except those the shell told us to ignore (a background job ignores
// SIGINT and SIGQUIT), which Notify would stop ignoring.
func catchable() []os.Signal {
	var sigs []os.Signal
	for _, sig := range append(deadlySignals, stopSignals...) {
		if !signal.Ignored(sig) {
			sigs = append(sigs, sig)
		}
	}
	return sigs
}

// deadlySignals are the signals that end a Go program and that it may
// catch; stopSignals those that stop it.
var (
	deadlySignals = []os.Signal{unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGABRT, unix.SIGTERM}
	stopSignals   = []os.Signal{unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU}
)

// ANCHOR_END: nonblock

// stdinProblem says, in the reader's words, why standard input (fd) cannot
// be read through the reactor, before anything touches it: it is closed,
// a directory or a regular file. It returns nil for anything else: a pipe,
// a socket, a terminal, or a device, which only the kernel can judge.
func stdinProblem(fd int) error {
	var st unix.Stat_t
	err := unix.Fstat(fd, &st)
	switch {
	case err == unix.EBADF: // closed, in a test that calls run
		return errors.New("stdin is /dev/null or closed; pipe something in")
	case err != nil:
		return os.NewSyscallError("fstat", err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return errors.New("stdin is a directory; use cat FILE | ch04-reactor")
	case unix.S_IFREG:
		return errors.New("stdin is a regular file; use cat FILE | ch04-reactor")
	}
	return nil
}

// stdinError rewords an error from reading standard input (fd) where the
// kernel's words say little: epoll refuses a device it cannot wait on
// with EPERM. The commonest is /dev/null, which is also what a closed
// standard input becomes: the Go runtime opens /dev/null on descriptors
// 0, 1 and 2 if they are closed when the program starts.
func stdinError(fd int, err error) error {
	if !errors.Is(err, unix.EPERM) {
		return err
	}
	var st, null unix.Stat_t
	if unix.Fstat(fd, &st) == nil && unix.Stat(os.DevNull, &null) == nil &&
		st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == null.Rdev {
		return errors.New("stdin is /dev/null or closed; pipe something in")
	}
	return errors.New("stdin is a device the kernel cannot wait on; pipe it in")
}

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
