package tcp

import (
	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// Read returns a future that reads into p: done with n > 0 bytes, or an
// error (io.EOF at end of stream). It is PollRead as a future, for code
// that combines futures. The future is the Conn's own, made at the first
// Read and reset for p by each one after, so that a loop of reads
// allocates nothing, and a Conn that is only polled (as Echo's is) carries
// none. It must not be used after the next call to Read.
func (c *Conn) Read(p []byte) future.Future[future.Result[int]] {
	f := &c.futures().rd
	*f = reading{c: c, p: p}
	return f
}

// Write returns a future that writes all of p: done with len(p), or with
// the number written before an error. Like Read's, the future is the
// Conn's own, reset by the next call to Write.
func (c *Conn) Write(p []byte) future.Future[future.Result[int]] {
	f := &c.futures().wr
	*f = writing{c: c, p: p}
	return f
}

// ioFutures are the futures of Read and Write, in one allocation, made
// at the first call to either: a Conn that is only polled has none.
type ioFutures struct {
	rd reading
	wr writing
}

func (c *Conn) futures() *ioFutures {
	if c.io == nil {
		c.io = new(ioFutures)
	}
	return c.io
}

// reading is the future of Read.
type reading struct {
	c    *Conn
	p    []byte
	done bool
}

func (f *reading) Poll(cx *future.Context) future.Poll[future.Result[int]] {
	if f.done {
		panic("tcp: Read's future polled after it was done")
	}
	r := f.c.PollRead(cx, f.p)
	f.done = r.IsDone()
	return r
}

// writing is the future of Write.
type writing struct {
	c    *Conn
	p    []byte
	n    int // written so far
	done bool
}

func (f *writing) Poll(cx *future.Context) future.Poll[future.Result[int]] {
	if f.done {
		panic("tcp: Write's future polled after it was done")
	}
	for f.n < len(f.p) {
		r, ok := f.c.PollWrite(cx, f.p[f.n:]).Value()
		if !ok {
			return future.Pending[future.Result[int]]()
		}
		if r.Err != nil {
			f.done = true
			return future.Done(future.Result[int]{Value: f.n, Err: r.Err})
		}
		f.n += r.Value
	}
	f.done = true
	return future.Done(future.Ok(f.n))
}
