// Package answers holds answers to the exercises of chapter 6, as code
// that go test checks. The book's answers appendix includes it by anchor.
//
// Each answer is a future over package tcp's Conn, written the way
// tcp.Echo is: a state machine that keeps its place in its own fields,
// polls the Conn's PollRead and PollWrite, and closes the Conn when it is
// done or cancelled.
package answers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// bufs holds the buffers of transforms and line readers with nothing in flight.
var bufs = sync.Pool{New: func() any { b := make([]byte, MaxLine); return &b }}

// ANCHOR: ex1-1

// Transform returns a future that echoes c, as tcp.Echo does, but passes
// every chunk it reads through fn before writing it back. fn changes the
// bytes in place and keeps their number. Like Echo, it stops reading
// while a write is blocked, holds a buffer only while bytes are in
// flight, half-closes when the peer has, and closes c at the end or when
// cancelled.
func Transform(
	c *tcp.Conn, fn func([]byte),
) future.Future[future.Result[int64]] {
	return &transforming{c: c, fn: fn}
}

// Upper is the echo of exercise 1: ASCII letters come back upper-cased;
// every other byte, UTF-8 included, comes back as it was sent.
func Upper(c *tcp.Conn) future.Future[future.Result[int64]] {
	return Transform(c, upperASCII)
}

func upperASCII(p []byte) {
	for i, b := range p {
		if 'a' <= b && b <= 'z' {
			p[i] = b - ('a' - 'A')
		}
	}
}

type transforming struct {
	c    *tcp.Conn
	fn   func([]byte)
	buf  *[]byte // from bufs, only while bytes are in flight
	out  []byte  // transformed, not yet written back
	eof  bool
	n    int64
	done bool
}

// ANCHOR_END: ex1-1

// ANCHOR: ex1-2

func (t *transforming) Poll(
	cx *future.Context,
) future.Poll[future.Result[int64]] {
	for {
		if len(t.out) > 0 {
			r, ok := t.c.PollWrite(cx, t.out).Value()
			if !ok {
				return future.Pending[future.Result[int64]]()
			}
			if r.Err != nil {
				return t.finish(r.Err)
			}
			t.out, t.n = t.out[r.Value:], t.n+int64(r.Value)
			continue
		}
		if t.eof {
			return t.finish(t.c.CloseWrite())
		}
		if t.buf == nil {
			t.buf = bufs.Get().(*[]byte)
		}
		r, ok := t.c.PollRead(cx, *t.buf).Value()
		switch {
		case !ok:
			t.release()
			return future.Pending[future.Result[int64]]()
		case errors.Is(r.Err, io.EOF):
			t.eof = true
		case r.Err != nil:
			return t.finish(r.Err)
		default:
			t.out = (*t.buf)[:r.Value]
			t.fn(t.out) // the one line Echo does not have
		}
	}
}

// ANCHOR_END: ex1-2

func (t *transforming) finish(err error) future.Poll[future.Result[int64]] {
	t.done = true
	t.release()
	if cerr := t.c.Close(); err == nil {
		err = cerr
	}
	return future.Done(future.Result[int64]{Value: t.n, Err: err})
}

func (t *transforming) release() {
	if t.buf != nil {
		bufs.Put(t.buf)
		t.buf, t.out = nil, nil
	}
}

// Cancel closes the connection.
func (t *transforming) Cancel() {
	if !t.done {
		t.done = true
		t.release()
		t.c.Close()
	}
}

// ANCHOR: ex2-1

// ReadFull returns a future that reads exactly len(p) bytes from c into
// p, through c.Read: done with len(p); or with the count so far and
// io.ErrUnexpectedEOF if the stream ends partway, io.EOF if it ends before
// the first byte; or with the count so far and any other error.
func ReadFull(c *tcp.Conn, p []byte) future.Future[future.Result[int]] {
	return &readingFull{c: c, p: p}
}

type readingFull struct {
	c    *tcp.Conn
	p    []byte
	n    int                               // bytes read so far
	rd   future.Future[future.Result[int]] // the Read in flight, or nil
	done bool
}

// ANCHOR_END: ex2-1

// ANCHOR: ex2-2

func (f *readingFull) Poll(cx *future.Context) future.Poll[future.Result[int]] {
	if f.done {
		panic("answers: ReadFull's future polled after it was done")
	}
	for f.n < len(f.p) {
		if f.rd == nil {
			f.rd = f.c.Read(f.p[f.n:]) // the Conn's own future, reset
		}
		r, ok := f.rd.Poll(cx).Value()
		if !ok {
			return future.Pending[future.Result[int]]()
		}
		f.rd = nil
		if r.Err != nil {
			if errors.Is(r.Err, io.EOF) && f.n > 0 {
				r.Err = io.ErrUnexpectedEOF
			}
			f.done = true
			return future.Done(future.Result[int]{Value: f.n, Err: r.Err})
		}
		f.n += r.Value
	}
	f.done = true
	return future.Done(future.Ok(f.n))
}

// Cancel abandons the read in flight.
func (f *readingFull) Cancel() { future.Cancel(f.rd); f.rd, f.done = nil, true }

// ANCHOR_END: ex2-2

// ANCHOR: ex3-1

// MaxLine is the longest line Sums reads, newline included.
const MaxLine = 4 << 10

// lingerMax is how much Sums reads and throws away, after it has
// answered a line that is too long, before it closes the connection.
const lingerMax = 4 << 20

// Sums returns a future that serves exercise 3's line protocol on c. Each
// line holds integers separated by spaces or tabs, and is answered with
// their sum, or with "error: " and the reason. A line longer than MaxLine
// is answered with an error and ends the connection. At end of stream
// the last line is answered even without its newline. The future is done
// with the number of lines answered; it closes c.
func Sums(c *tcp.Conn) future.Future[future.Result[int]] {
	return &summing{c: c}
}

type summing struct {
	c      *tcp.Conn
	buf    *[]byte // MaxLine bytes from bufs, while a line is partly read
	in     []byte  // read and not yet answered: a slice of *buf
	out    []byte  // the answer being written
	eof    bool    // the peer has closed its writing side
	over   bool    // a line was too long: throw the rest away
	shut   bool    // our writing side is shut down
	drop   int     // bytes thrown away since
	lines  int
	closed bool
}

// ANCHOR_END: ex3-1

// ANCHOR: ex3-2

func (s *summing) Poll(cx *future.Context) future.Poll[future.Result[int]] {
	if s.closed {
		panic("answers: Sums' future polled after it was done")
	}
	for {
		if len(s.out) > 0 { // back-pressure: answer before reading on
			r, ok := s.c.PollWrite(cx, s.out).Value()
			if !ok {
				return future.Pending[future.Result[int]]()
			}
			if r.Err != nil {
				return s.finish(r.Err)
			}
			s.out = s.out[r.Value:]
			continue
		}
		if s.over {
			return s.linger(cx)
		}
		line, rest, found := bytes.Cut(s.in, []byte("\n"))
		switch {
		case found || (s.eof && len(s.in) > 0):
			s.out, s.in = answer(s.out[:0], line), rest
			s.lines++
		case s.eof:
			return s.finish(s.c.CloseWrite())
		case len(s.in) == MaxLine:
			s.out = fmt.Appendf(s.out[:0],
				"error: line longer than %d bytes\n", MaxLine)
			s.over = true
			s.release()
		default:
			if p, stop := s.read(cx); stop {
				return p
			}
		}
	}
}

// ANCHOR_END: ex3-2

// ANCHOR: ex3-3

// read moves the part of a line it holds to the front of its buffer and
// reads more after it. It stops Poll with p (Pending, or Done with an
// error), or lets it go on.
func (s *summing) read(
	cx *future.Context,
) (p future.Poll[future.Result[int]], stop bool) {
	if s.buf == nil {
		s.buf = bufs.Get().(*[]byte)
	}
	n := copy(*s.buf, s.in)
	s.in = (*s.buf)[:n]
	r, ok := s.c.PollRead(cx, (*s.buf)[n:MaxLine]).Value()
	switch {
	case !ok:
		if n == 0 {
			s.release() // nothing in flight: wait without a buffer
		}
		return future.Pending[future.Result[int]](), true
	case errors.Is(r.Err, io.EOF):
		s.eof = true
	case r.Err != nil:
		return s.finish(r.Err), true
	default:
		s.in = (*s.buf)[:n+r.Value]
	}
	return p, false
}

func (s *summing) release() {
	if s.buf != nil {
		bufs.Put(s.buf)
		s.buf, s.in = nil, nil
	}
}

// ANCHOR_END: ex3-3

// ANCHOR: ex3-4

// linger is a lingering close: shut down our side, so that the peer reads
// the error and then end of file, and read what the peer is still sending
// until it closes, up to lingerMax. Closing at once, with unread bytes in
// the socket, would make the kernel send a reset, and a peer that gets
// the reset before it has read the error line may never see it.
func (s *summing) linger(cx *future.Context) future.Poll[future.Result[int]] {
	if !s.shut {
		s.shut = true
		if err := s.c.CloseWrite(); err != nil {
			return s.finish(err)
		}
	}
	var scrap [512]byte
	for s.drop < lingerMax {
		r, ok := s.c.PollRead(cx, scrap[:]).Value()
		if !ok {
			return future.Pending[future.Result[int]]()
		}
		if r.Err != nil {
			break // end of file, or the peer gave up
		}
		s.drop += r.Value
	}
	return s.finish(errLineTooLong)
}

// ANCHOR_END: ex3-4

// errLineTooLong ends a connection that sent a line over MaxLine.
var errLineTooLong = errors.New("line longer than " + strconv.Itoa(MaxLine) + " bytes")

// IsLineTooLong reports whether err is the error Sums ends with after a
// line longer than MaxLine.
func IsLineTooLong(err error) bool { return errors.Is(err, errLineTooLong) }

// answer appends the answer to one line: the sum of its integers, or an
// error.
func answer(dst, line []byte) []byte {
	var sum int64
	for _, f := range bytes.Fields(line) {
		v, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil {
			return append(dst, "error: not an integer: "+strconv.Quote(string(f))+"\n"...)
		}
		if (v > 0 && sum > math.MaxInt64-v) || (v < 0 && sum < math.MinInt64-v) {
			return append(dst, "error: the sum overflows int64\n"...)
		}
		sum += v
	}
	return append(strconv.AppendInt(dst, sum, 10), '\n')
}

func (s *summing) finish(err error) future.Poll[future.Result[int]] {
	s.closed = true
	s.release()
	s.out = nil
	if cerr := s.c.Close(); err == nil {
		err = cerr
	}
	return future.Done(future.Result[int]{Value: s.lines, Err: err})
}

// Cancel closes the connection.
func (s *summing) Cancel() {
	if !s.closed {
		s.closed = true
		s.release()
		s.c.Close()
	}
}

// ANCHOR: ex4-1

// ErrWriteTimeout is the error of a WriteWithin that did not finish in
// time.
var ErrWriteTimeout = errors.New("write timed out")

// WriteWithin returns a future that writes all of p to c, as c.Write
// does, but gives up once d has passed since its first poll: then it is
// done with the bytes written so far and ErrWriteTimeout. The deadline is
// one timer from sleep (a runtime's Sleep), armed at the first poll and
// looked at only while the write waits. A write that timed out has sent
// part of p, so the caller should close c: the stream is cut mid-message.
func WriteWithin(
	c *tcp.Conn, p []byte, d time.Duration,
	sleep func(time.Duration) future.Future[struct{}],
) future.Future[future.Result[int]] {
	return &writingWithin{c: c, p: p, d: d, sleep: sleep}
}

type writingWithin struct {
	c     *tcp.Conn
	p     []byte
	n     int
	d     time.Duration
	sleep func(time.Duration) future.Future[struct{}]
	timer future.Future[struct{}] // armed at the first poll
	done  bool
}

// ANCHOR_END: ex4-1

// ANCHOR: ex4-2

func (w *writingWithin) Poll(
	cx *future.Context,
) future.Poll[future.Result[int]] {
	if w.done {
		panic("answers: WriteWithin's future polled after it was done")
	}
	if w.timer == nil {
		w.timer = w.sleep(w.d)
	}
	for w.n < len(w.p) {
		r, ok := w.c.PollWrite(cx, w.p[w.n:]).Value()
		if !ok {
			if !w.timer.Poll(cx).IsDone() {
				return future.Pending[future.Result[int]]() // both wait
			}
			return w.finish(ErrWriteTimeout)
		}
		if r.Err != nil {
			return w.finish(r.Err)
		}
		w.n += r.Value
	}
	return w.finish(nil)
}

// ANCHOR_END: ex4-2

func (w *writingWithin) finish(err error) future.Poll[future.Result[int]] {
	w.done = true
	if err != ErrWriteTimeout {
		future.Cancel(w.timer) // the timer leaves the reactor's heap
	}
	w.timer = nil
	return future.Done(future.Result[int]{Value: w.n, Err: err})
}

// Cancel gives up the write and its timer.
func (w *writingWithin) Cancel() {
	future.Cancel(w.timer)
	w.timer, w.done = nil, true
}
