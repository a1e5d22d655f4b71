package tcp

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
)

// ErrIdle is the error (wrapped in a *net.OpError) of a read or write on
// a Conn that has been idle for longer than its idle timeout.
var ErrIdle = errors.New("idle timeout")

// ANCHOR: conn-type

// A Conn is one TCP connection, registered with a reactor. Its reads and
// writes are futures; see the package comment for who may use it.
type Conn struct {
	reg    reactor.Registration // the socket's, kept in the Conn
	fd     int
	remote [16]byte // the peer's address (IPv4 as IPv4-mapped IPv6)
	rport  uint16   // and port: RemoteAddr makes a netip.AddrPort of them
	closed bool

	// Whether a read or a write is waiting for its direction's next edge
	// (Registration.PollReadable, PollWritable: no future per wait).
	rwait, wwait bool

	// Idle timeout: last is when a byte last moved (nanoseconds since
	// clockStart), timer is armed (timing) for last+idle when something
	// waits.
	timing bool
	idle   time.Duration
	last   int64
	timer  reactor.Timer

	io *ioFutures // the futures of Read and Write, made at the first call
}

// ANCHOR_END: conn-type

// newConn registers the connected socket fd with r.
func newConn(r *reactor.Reactor, fd int, remote netip.AddrPort) (*Conn, error) {
	if err := setNoDelay(fd); err != nil {
		return nil, opError("accept", netip.AddrPort{}, remote, err)
	}
	if err := setKeepAlive(fd); err != nil {
		return nil, opError("accept", netip.AddrPort{}, remote, err)
	}
	// One allocation for the Conn and its Registration.
	c := &Conn{fd: fd, remote: remote.Addr().As16(), rport: remote.Port()}
	if err := r.RegisterIn(&c.reg, fd); err != nil {
		return nil, opError("register", netip.AddrPort{}, remote, err)
	}
	return c, nil
}

// RemoteAddr is the address of the other end.
func (c *Conn) RemoteAddr() netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom16(c.remote).Unmap(), c.rport)
}

// LocalAddr is the address of this end (a system call each time).
func (c *Conn) LocalAddr() netip.AddrPort { return localAddr(c.fd) }

// SetIdleTimeout makes reads and writes fail with ErrIdle once no byte
// has been read or written for d, counting from now. Zero (the default)
// means no limit.
func (c *Conn) SetIdleTimeout(d time.Duration) {
	c.idle = d
	c.last = now()
	c.stopTimer()
}

// stopTimer disarms the idle timer, if it is armed.
func (c *Conn) stopTimer() {
	if c.timing {
		c.timer.Stop(c.reg.Reactor())
		c.timing = false
	}
}

// waitDir is the direction of a wait, for ready.
type waitDir uint8

const (
	forRead waitDir = iota
	forWrite
)

// ANCHOR: ready

// ready finishes the wait of PollRead (forRead) or PollWrite (forWrite),
// if one is under way, and reports whether the call may try the socket
// now. If not, the reactor, and the idle timer if there is
// one, hold cx's waker, and the call returns Pending. A non-nil error
// ends the call: net.ErrClosed for a closed connection, ErrIdle for one
// that has been idle for its whole timeout.
func (c *Conn) ready(cx *future.Context, dir waitDir) (bool, error) {
	waiting := &c.rwait
	if dir == forWrite {
		waiting = &c.wwait
	}
	switch {
	case c.closed:
		return true, net.ErrClosed
	case !*waiting:
		return true, nil
	}
	var r future.Poll[error]
	if dir == forWrite {
		r = c.reg.PollWritable(cx)
	} else {
		r = c.reg.PollReadable(cx)
	}
	err, ok := r.Value()
	switch {
	case !ok && c.idleOver(cx):
		return true, ErrIdle
	case !ok:
		return false, nil
	case err != nil:
		return true, net.ErrClosed // Deregister: the Conn was closed
	}
	*waiting = false
	return true, nil
}

// ANCHOR_END: ready

// ANCHOR: poll-read

// PollRead reads into p from inside a Poll: Done with n > 0 bytes, or with
// io.EOF once the peer has closed its writing side and everything it sent
// has been read, or with another error; or Pending, with cx's waker left
// with the reactor. p is used only during the call, so a task may poll
// with a different buffer each time, or with a buffer it takes from a pool
// only for the call. It waits for an edge only after a read has found
// the socket empty (EAGAIN), never after a short read.
func (c *Conn) PollRead(
	cx *future.Context, p []byte,
) future.Poll[future.Result[int]] {
	for {
		if ok, err := c.ready(cx, forRead); !ok {
			return future.Pending[future.Result[int]]()
		} else if err != nil {
			return c.fail("read", err)
		}
		n, err := readFD(c.fd, p)
		switch {
		case err == errAgain:
			c.rwait = true
			continue
		case err != nil:
			return c.fail("read", wrapErrno("read", err))
		case n == 0 && len(p) > 0:
			return future.Done(future.Err[int](io.EOF))
		}
		// A short read does not make the next call wait for an edge:
		// bytes that arrive during the read are queued before it
		// returns, and their edge reaches the reactor only at its next
		// turn. Only EAGAIN proves the socket empty.
		c.moved()
		return future.Done(future.Ok(n))
	}
}

// ANCHOR_END: poll-read

// ANCHOR: poll-write

// PollWrite writes from p from inside a Poll: Done with the number of
// bytes the kernel took (at least one, unless p is empty) or an error, or
// Pending until the socket can take more. Like PollRead it keeps nothing
// of p.
func (c *Conn) PollWrite(
	cx *future.Context, p []byte,
) future.Poll[future.Result[int]] {
	for {
		if ok, err := c.ready(cx, forWrite); !ok {
			return future.Pending[future.Result[int]]()
		} else if err != nil {
			return c.fail("write", err)
		}
		if len(p) == 0 {
			return future.Done(future.Ok(0))
		}
		n, err := writeFD(c.fd, p)
		switch {
		case err == errAgain:
			c.wwait = true
			continue
		case err != nil:
			return c.fail("write", wrapErrno("write", err))
		}
		c.moved()
		if n < len(p) {
			c.wwait = true // the send buffer is full
		}
		return future.Done(future.Ok(n))
	}
}

// ANCHOR_END: poll-write

// ANCHOR: idle-over

// moved records that bytes moved, for the idle timeout; a Conn without
// one does not read the clock.
func (c *Conn) moved() {
	if c.idle > 0 {
		c.last = now()
	}
}

// idleOver polls the idle timer, arming it if it is not armed, and
// reports whether the connection has been idle for its whole timeout.
func (c *Conn) idleOver(cx *future.Context) bool {
	if c.idle <= 0 {
		return false
	}
	for {
		if !c.timing {
			left := time.Duration(c.last + int64(c.idle) - now())
			if left <= 0 {
				return true
			}
			c.timer.Arm(c.reg.Reactor(), left, cx)
			c.timing = true
		}
		if !c.timer.Poll(c.reg.Reactor(), cx) {
			return false
		}
		c.timing = false // fired: loop to see whether bytes moved since
	}
}

// ANCHOR_END: idle-over

// ANCHOR: close

// CloseWrite shuts down the writing side: the peer reads end of file once
// it has read everything written before. Reading goes on.
func (c *Conn) CloseWrite() error {
	if c.closed {
		return c.opErr("shutdown", net.ErrClosed)
	}
	if err := shutdownWrite(c.fd); err != nil {
		return c.opErr("shutdown", err)
	}
	return nil
}

// Close deregisters the connection and closes its socket. Pending reads
// and writes finish with an error that wraps net.ErrClosed. Calling it
// again does nothing.
func (c *Conn) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	c.stopTimer()
	c.reg.Deregister()
	if err := closeFD(c.fd); err != nil {
		return c.opErr("close", err)
	}
	return nil
}

// ANCHOR_END: close

func (c *Conn) fail(op string, err error) future.Poll[future.Result[int]] {
	return future.Done(future.Err[int](c.opErr(op, err)))
}

func (c *Conn) opErr(op string, err error) error {
	var local netip.AddrPort
	if !c.closed {
		local = c.LocalAddr()
	}
	return opError(op, local, c.RemoteAddr(), err)
}

// wrapErrno names the system call behind a bare errno.
func wrapErrno(call string, err error) error {
	if _, ok := err.(syscall.Errno); ok {
		return os.NewSyscallError(call, err)
	}
	return err
}

// clockStart is the origin of now: a time with a monotonic reading.
var clockStart = time.Now()

// now is monotonic nanoseconds since clockStart.
func now() int64 { return int64(time.Since(clockStart)) }
