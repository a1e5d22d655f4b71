package tcp

import (
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
)

// A Listener accepts TCP connections on one address. Create one with
// Listen; its Accept is a future.
type Listener struct {
	r    *reactor.Reactor
	fd   int
	reg  *reactor.Registration
	addr netip.AddrPort

	// Log receives one line when Accept runs out of descriptors and
	// starts to back off, and one when it accepts again. Nil means
	// slog.Default(). Set it before the first Accept.
	Log *slog.Logger

	backoff time.Duration // the current pause after EMFILE, or 0
	paused  future.Waker  // the waker of an Accept in that pause, or nil
	closed  bool
	acc     accepting // PollAccept's state
}

// Listen opens a listening socket on addr (see ParseAddr) and registers
// it with r.
func Listen(r *reactor.Reactor, addr string) (*Listener, error) {
	ap, err := ParseAddr(addr)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: "tcp", Err: &net.AddrError{Err: err.Error(), Addr: addr}}
	}
	fd, err := listenSocket(ap)
	if err != nil {
		return nil, opError("listen", netip.AddrPort{}, ap, err)
	}
	reg, err := r.Register(fd)
	if err != nil {
		closeFD(fd)
		return nil, opError("listen", netip.AddrPort{}, ap, err)
	}
	if ap.Port() == 0 {
		ap = localAddr(fd) // the port the kernel chose
	}
	l := &Listener{r: r, fd: fd, reg: reg, addr: ap}
	l.acc.l = l
	return l, nil
}

// Addr is the address the listener is bound to, with the port the kernel
// chose if Listen was given port 0.
func (l *Listener) Addr() netip.AddrPort { return l.addr }

// Close stops listening. An Accept that is pending finishes with an error
// that wraps net.ErrClosed. Connections already accepted stay open.
// Calling Close again does nothing.
func (l *Listener) Close() error {
	if l.closed {
		return nil
	}
	l.closed = true
	l.reg.Deregister() // wakes an Accept that waits for a connection
	if w := l.paused; w != nil {
		// An Accept in its back-off pause waits on a timer, not on the
		// socket: wake it too, or it ends only when the pause does.
		l.paused = nil
		w.Wake()
	}
	// PollAccept's future is the Listener's: nobody else will cancel it.
	future.Cancel(l.acc.ready)
	future.Cancel(l.acc.pause)
	l.acc.ready, l.acc.pause = nil, nil
	if err := closeFD(l.fd); err != nil {
		return opError("close", netip.AddrPort{}, l.addr, err)
	}
	return nil
}

// Accept returns a future that is done with the next connection, or with
// an error that wraps net.ErrClosed once the listener is closed.
// Cancelling it (future.Cancel) gives up the wait; no connection is lost,
// since one that arrives stays in the kernel's backlog for the next Accept.
//
// When the process or the system is out of descriptors (EMFILE, ENFILE),
// the connection stays in the backlog and the next accept would fail the
// same way at once. So Accept logs the condition once and retries after a
// pause that starts at 5ms and doubles up to 1s, as net/http's
// Server.Serve does, instead of spinning or failing.
func (l *Listener) Accept() future.Future[future.Result[*Conn]] {
	return &accepting{l: l}
}

// PollAccept is Accept without a future of its own, for a loop that
// accepts again and again (a server's) and would otherwise allocate one
// for every connection: Done with the next connection or an error, or
// Pending, with cx's waker kept until a connection may be there. Its
// state is an Accept future kept in the Listener and used again, so one
// task calls it, and never while another Accept future is pending;
// Close ends its wait.
func (l *Listener) PollAccept(
	cx *future.Context,
) future.Poll[future.Result[*Conn]] {
	return l.acc.Poll(cx)
}

// ANCHOR: accept-wait

// accepting is the future of Accept: a loop of accept4 calls, waits for
// the listening socket to be readable, and pauses.
type accepting struct {
	l     *Listener
	ready future.Future[error]    // waiting for a connection, or nil
	pause future.Future[struct{}] // backing off after EMFILE, or nil
}

func (f *accepting) Poll(cx *future.Context) future.Poll[future.Result[*Conn]] {
	l := f.l
	for {
		if f.pause != nil && !l.closed {
			if !f.pause.Poll(cx).IsDone() {
				l.paused = cx.Waker() // Close wakes it
				return future.Pending[future.Result[*Conn]]()
			}
		}
		future.Cancel(f.pause) // a pause that Close cut short
		f.pause, l.paused = nil, nil
		if f.ready != nil {
			err, ok := f.ready.Poll(cx).Value()
			if !ok {
				return future.Pending[future.Result[*Conn]]()
			}
			f.ready = nil
			if err != nil {
				return f.fail(net.ErrClosed)
			}
		}
		if l.closed {
			return f.fail(net.ErrClosed)
		}
		// ANCHOR_END: accept-wait
		// ANCHOR: accept-call
		fd, remote, err := acceptFD(l.fd)
		switch {
		case err == nil:
			if l.backoff != 0 {
				l.logger().Info("accepting again", "addr", l.addr.String())
				l.backoff = 0
			}
			c, err := newConn(l.r, fd, remote)
			if err != nil {
				closeFD(fd)
				return f.fail(err)
			}
			return future.Done(future.Ok(c))
		case err == errAgain:
			f.ready = l.reg.Readable()
		case acceptAgain(err):
			// the next connection may be fine
		case tooManyFiles(err):
			if l.backoff == 0 {
				l.backoff = 5 * time.Millisecond
				l.logger().Warn("accept failed; backing off",
					"addr", l.addr.String(), "err", err)
			} else {
				l.backoff = min(2*l.backoff, time.Second)
			}
			f.pause = l.r.Sleep(l.backoff)
		default:
			return f.fail(err)
		}
	}
}

// ANCHOR_END: accept-call

func (f *accepting) fail(err error) future.Poll[future.Result[*Conn]] {
	return future.Done(future.Err[*Conn](opError("accept", netip.AddrPort{}, f.l.addr, wrapErrno("accept", err))))
}

// Cancel gives up the wait for a connection or the pause.
func (f *accepting) Cancel() {
	future.Cancel(f.ready)
	future.Cancel(f.pause)
	f.ready, f.pause, f.l.paused = nil, nil, nil
}

func (l *Listener) logger() *slog.Logger {
	if l.Log != nil {
		return l.Log
	}
	return slog.Default()
}
