package tcp_test

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// echoProbe wraps a future from Echo and looks at it after every poll
// that leaves it pending: how many bytes it holds by its own account and
// by the kernel's, whether it holds a buffer while it waits to read, and
// when it first waits to write (back-pressure).
type echoProbe struct {
	f         future.Future[future.Result[int64]]
	c         *tcp.Conn
	fd        int
	maxHeld   atomic.Int64 // most bytes read and not written back, by the echo
	maxKernel atomic.Int64 // the same, by the kernel (see kernelHeld)
	kernel    atomic.Bool  // the kernel could say
	bufIdle   atomic.Int64 // polls that waited to read with a buffer held
	blocked   chan struct{}
	isBlocked bool
}

func probeEcho(c *tcp.Conn) *echoProbe {
	return &echoProbe{f: tcp.Echo(c), c: c, fd: tcp.ConnFD(c), blocked: make(chan struct{})}
}

func (p *echoProbe) Poll(cx *future.Context) future.Poll[future.Result[int64]] {
	r := p.f.Poll(cx)
	if r.IsDone() {
		return r // the connection is closed: nothing left to ask about
	}
	held, buffered := tcp.EchoHeld(p.f)
	if int64(held) > p.maxHeld.Load() {
		p.maxHeld.Store(int64(held))
	}
	if held == 0 && buffered {
		p.bufIdle.Add(1)
	}
	if k, ok := kernelHeld(p.fd); ok {
		p.kernel.Store(true)
		if k > p.maxKernel.Load() {
			p.maxKernel.Store(k)
		}
	}
	if held > 0 && !p.isBlocked {
		p.isBlocked = true
		close(p.blocked)
	}
	return r
}

// Cancel cancels the echo.
func (p *echoProbe) Cancel() { future.Cancel(p.f) }

// probed is a server handler that probes each echo and hands the probe
// to the test.
func probed(probes chan<- *echoProbe) func(*tcp.Conn) future.Future[future.Result[int64]] {
	return func(c *tcp.Conn) future.Future[future.Result[int64]] {
		p := probeEcho(c)
		probes <- p
		return p
	}
}

// flood writes size bytes of stream id to c in random chunks, counting
// them in sent, then half-closes; it returns the first error.
func flood(c net.Conn, seed, id uint64, size int, sent *atomic.Int64) error {
	rng := rngFor(seed, id, 0)
	buf := make([]byte, 64<<10)
	for off := 0; off < size; {
		p := buf[:chunk(rng, size-off)]
		fill(id, off, p)
		n, err := c.Write(p)
		sent.Add(int64(n))
		if err != nil {
			return err
		}
		off += n
	}
	return c.(*net.TCPConn).CloseWrite()
}

// drain reads stream id from c with random reads until end of file,
// checking every byte, and returns how many it read.
func drain(c net.Conn, seed, id uint64, got *atomic.Int64) (int, error) {
	rng := rngFor(seed, id, 1)
	buf := make([]byte, 64<<10)
	off := 0
	for {
		n, err := c.Read(buf[:chunk(rng, len(buf))])
		if cerr := check(id, off, buf[:n]); cerr != nil {
			return off, cerr
		}
		off += n
		got.Add(int64(n))
		if err == io.EOF {
			return off, nil
		}
		if err != nil {
			return off, err
		}
	}
}

// TestSlowReader has a client write 32 MiB without reading. The server
// must stop reading once its writes back cannot drain: at every poll it
// holds at most EchoBufSize bytes read and not written back, counted
// both by the echo and by the kernel (read minus written on the socket,
// on Linux), and no buffer at all while it waits to read. Once the
// client reads, every byte must come back in order.
func TestSlowReader(t *testing.T) {
	const size = 32 << 20
	seed := testSeed(t)
	rt := newRT(t, 2)
	probes := make(chan *echoProbe, 1)
	srv := serve(t, rt, 1, probed(probes))
	c, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var sent, got atomic.Int64
	progress := plus(polls(rt), sent.Load, got.Load)
	werr := make(chan error, 1)
	go func() { werr <- flood(c, seed, 1, size, &sent) }()

	p := recv(t, probes, progress, "the server's accept")
	recv(t, p.blocked, progress, "the server's echo to wait for its write (back-pressure)")
	before := sent.Load() // the client has read nothing yet

	type drained struct {
		n   int
		err error
	}
	rd := make(chan drained, 1)
	go func() {
		n, err := drain(c, seed, 1, &got)
		rd <- drained{n, err}
	}()
	d := recv(t, rd, progress, "the client's reads")
	if d.err != nil || d.n != size {
		t.Fatalf("client read %d bytes, %v; want %d, nil", d.n, d.err, size)
	}
	if err := recv(t, werr, progress, "the client's writes"); err != nil {
		t.Fatal(err)
	}
	r := recv(t, srv.results, progress, "the server's Echo")
	if r.Err != nil || r.Value != size {
		t.Fatalf("Echo = %d, %v; want %d, nil", r.Value, r.Err, size)
	}
	if m := p.maxHeld.Load(); m > tcp.EchoBufSize {
		t.Errorf("the echo held %d bytes read and not written back; the bound is EchoBufSize, %d", m, tcp.EchoBufSize)
	}
	if n := p.bufIdle.Load(); n > 0 {
		t.Errorf("the echo held a buffer while waiting to read, %d times", n)
	}
	if p.kernel.Load() {
		if m := p.maxKernel.Load(); m > tcp.EchoBufSize {
			t.Errorf("by the kernel's count the server held %d bytes read and not written back; the bound is %d", m, tcp.EchoBufSize)
		}
	} else {
		t.Log("the kernel cannot count the bytes the server holds here: only the echo's own count was checked")
	}
	t.Logf("back-pressure after the client wrote %d bytes; the server held at most %d (kernel's count %d)",
		before, p.maxHeld.Load(), p.maxKernel.Load())
}

// TestReset has a client reset its connection (SO_LINGER 0, then close)
// while the server is writing back (data in flight both ways) and while
// it waits to read. Echo must end with the reset as a *net.OpError
// (ECONNRESET, or EPIPE for a write after it), close its Conn and leave
// no descriptor open.
func TestReset(t *testing.T) {
	for _, when := range []string{"writing", "reading"} {
		t.Run(when, func(t *testing.T) {
			seed := testSeed(t)
			rt := newRT(t, 2)
			fds0, haveFDs := openFDs()
			probes := make(chan *echoProbe, 1)
			srv := serve(t, rt, 1, probed(probes))
			c, err := net.Dial("tcp", srv.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var sent, got atomic.Int64
			progress := plus(polls(rt), sent.Load, got.Load)
			p := recv(t, probes, progress, "the server's accept")
			werr := make(chan error, 1)
			if when == "writing" {
				go func() { werr <- flood(c, seed, 2, 64<<20, &sent) }()
				recv(t, p.blocked, progress, "the server's echo to wait for its write")
			} else {
				msg := make([]byte, 1000)
				fill(2, 0, msg)
				back := make([]byte, len(msg))
				if _, err := c.Write(msg); err != nil {
					t.Fatal(err)
				}
				rd := make(chan error, 1)
				go func() { _, err := io.ReadFull(c, back); rd <- err }()
				if err := recv(t, rd, progress, "the echo of 1000 bytes"); err != nil {
					t.Fatal(err)
				}
				if err := check(2, 0, back); err != nil {
					t.Fatal(err)
				}
				werr <- nil
			}
			if err := c.(*net.TCPConn).SetLinger(0); err != nil {
				t.Fatal(err)
			}
			c.Close()
			recv(t, werr, progress, "the client's writer to stop") // its error is the close's
			r := recv(t, srv.results, progress, "the server's Echo")
			var op *net.OpError
			switch {
			case r.Err == nil:
				t.Fatalf("Echo = %d, nil after a reset; want an error", r.Value)
			case !errors.As(r.Err, &op):
				t.Errorf("Echo's error %v is a %T, not a *net.OpError", r.Err, r.Err)
			case !errors.Is(r.Err, syscall.ECONNRESET) && !errors.Is(r.Err, syscall.EPIPE):
				t.Errorf("Echo's error %v is not ECONNRESET or EPIPE", r.Err)
			}
			if !tcp.ConnClosed(p.c) {
				t.Error("Echo failed and left its Conn open")
			}
			t.Logf("Echo = %d, %v", r.Value, r.Err)
			if haveFDs {
				fdsBack(t, fds0)
			} else {
				t.Log("no /proc/self/fd here: descriptors not counted")
			}
		})
	}
}
