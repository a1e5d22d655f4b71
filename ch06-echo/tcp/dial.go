package tcp

import (
	"net"
	"net/netip"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
)

// Dial returns a future that connects to addr (see ParseAddr) and is done
// with the connection, registered with r, or with an error. The connect
// itself does not block: the socket is non-blocking, the kernel does the
// handshake, and the future waits for the socket to become writable.
// Cancelling the future closes the half-open socket.
func Dial(r *reactor.Reactor, addr string) future.Future[future.Result[*Conn]] {
	ap, err := ParseAddr(addr)
	if err != nil {
		return future.Ready(future.Err[*Conn](&net.OpError{Op: "dial", Net: "tcp", Err: &net.AddrError{Err: err.Error(), Addr: addr}}))
	}
	return DialAddr(r, ap)
}

// DialAddr is Dial for an address already parsed (or resolved).
func DialAddr(r *reactor.Reactor, addr netip.AddrPort) future.Future[future.Result[*Conn]] {
	return &dialing{r: r, addr: addr}
}

// dialing is the future of Dial.
type dialing struct {
	r     *reactor.Reactor
	addr  netip.AddrPort
	c     *Conn                // connecting, once the socket is open
	ready future.Future[error] // waiting for the handshake, or nil
	done  bool
}

func (f *dialing) Poll(cx *future.Context) future.Poll[future.Result[*Conn]] {
	if f.done {
		panic("tcp: Dial's future polled after it was done")
	}
	if f.c == nil {
		fd, inProgress, err := dialSocket(f.addr)
		if err != nil {
			return f.finish(err)
		}
		c, err := newConn(f.r, fd, f.addr)
		if err != nil {
			closeFD(fd)
			return f.finish(err)
		}
		f.c = c
		if !inProgress {
			return f.finish(nil)
		}
		f.ready = c.reg.Writable()
	}
	err, ok := f.ready.Poll(cx).Value()
	if !ok {
		return future.Pending[future.Result[*Conn]]()
	}
	f.ready = nil
	if err == nil {
		err = connectResult(f.c.fd)
	}
	return f.finish(err)
}

// finish ends the dial: with the connection if err is nil, or else with
// err and the socket closed.
func (f *dialing) finish(err error) future.Poll[future.Result[*Conn]] {
	f.done = true
	if err != nil {
		if f.c != nil {
			f.c.Close()
			f.c = nil
		}
		if _, ok := err.(*net.OpError); !ok {
			err = opError("dial", netip.AddrPort{}, f.addr, err)
		}
		return future.Done(future.Err[*Conn](err))
	}
	c := f.c
	f.c = nil
	return future.Done(future.Ok(c))
}

// Cancel abandons a dial in progress, closing its socket.
func (f *dialing) Cancel() {
	future.Cancel(f.ready)
	f.ready = nil
	if f.c != nil {
		f.c.Close()
		f.c = nil
	}
	f.done = true
}
