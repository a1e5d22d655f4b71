package tcp

import (
	"errors"
	"io"
	"sync"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// EchoBufSize is the size of the buffer a connection holds while bytes
// are in flight: the most an echo reads before it writes them back.
const EchoBufSize = 16 << 10

// ANCHOR: echo-type

// echoBufs holds the buffers of connections that have nothing in flight.
// An idle connection holds none, so the memory the echo's buffers take
// follows the number of busy connections, not the number of open ones.
var echoBufs = sync.Pool{New: func() any {
	b := make([]byte, EchoBufSize)
	return &b
}}

// Echo returns a future that writes back every byte c reads, in order,
// until the peer closes its writing side; then it shuts down c's writing
// side too, closes c and is done with the number of bytes echoed. An
// error (the peer reset the connection, the idle timeout passed) closes c
// and ends the future with the count so far and the error. Cancelling the
// future closes c.
//
// The echo stops reading while what it read cannot be written: a peer
// that sends but does not read fills its own receive window and then
// ours, and TCP's flow control makes it wait. So each connection holds
// at most EchoBufSize bytes, and holds no buffer at all while it waits to
// read.
func Echo(c *Conn) future.Future[future.Result[int64]] {
	return &Echoing{c: c}
}

// Echoing is the future of Echo.
type Echoing struct {
	c    *Conn
	buf  *[]byte // taken from echoBufs while bytes are in flight
	n    int64   // bytes written back
	off  int32   // (*buf)[off:end] was read and not yet written back:
	end  int32   // offsets, 8 bytes, where a slice would take 24
	eof  bool    // the peer has closed its writing side
	done bool
}

// ANCHOR_END: echo-type

// ANCHOR: echo-poll

// Poll echoes what c has to read, until the peer is done or an error.
func (e *Echoing) Poll(cx *future.Context) future.Poll[future.Result[int64]] {
	if e.done {
		panic("tcp: Echo's future polled after it was done")
	}
	for {
		if e.off < e.end {
			r, ok := e.c.PollWrite(cx, (*e.buf)[e.off:e.end]).Value()
			if !ok {
				return future.Pending[future.Result[int64]]() // back-pressure
			}
			if r.Err != nil {
				return e.finish(r.Err)
			}
			e.off += int32(r.Value)
			e.n += int64(r.Value)
			continue
		}
		if e.eof {
			return e.finish(e.c.CloseWrite())
		}
		if e.buf == nil {
			e.buf = echoBufs.Get().(*[]byte)
		}
		r, ok := e.c.PollRead(cx, *e.buf).Value()
		switch {
		case !ok:
			e.release() // nothing in flight: wait without a buffer
			return future.Pending[future.Result[int64]]()
		case errors.Is(r.Err, io.EOF):
			e.eof = true
		case r.Err != nil:
			return e.finish(r.Err)
		default:
			e.off, e.end = 0, int32(r.Value)
		}
	}
}

// ANCHOR_END: echo-poll

// ANCHOR: echo-finish

// finish closes the connection and ends the future with err.
func (e *Echoing) finish(err error) future.Poll[future.Result[int64]] {
	e.done = true
	e.release()
	if cerr := e.c.Close(); err == nil {
		err = cerr
	}
	return future.Done(future.Result[int64]{Value: e.n, Err: err})
}

func (e *Echoing) release() {
	if e.buf != nil {
		echoBufs.Put(e.buf)
		e.buf, e.off, e.end = nil, 0, 0
	}
}

// Cancel closes the connection.
func (e *Echoing) Cancel() {
	if !e.done {
		e.done = true
		e.release()
		e.c.Close()
	}
}

// ANCHOR_END: echo-finish

// ANCHOR: echo-start

// Start makes e, a zero Echoing, the future that Echo(c) returns, where
// e lies: a caller that keeps the future in a struct of its own (a
// server's task for the connection) saves an allocation per connection.
func (e *Echoing) Start(c *Conn) { e.c = c }

// Conn is the connection e echoes.
func (e *Echoing) Conn() *Conn { return e.c }

// ANCHOR_END: echo-start
