package tcp_test

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// idleEcho is a server handler that sets an idle timeout of d, then
// echoes.
func idleEcho(d time.Duration) func(*tcp.Conn) future.Future[future.Result[int64]] {
	return func(c *tcp.Conn) future.Future[future.Result[int64]] {
		c.SetIdleTimeout(d)
		return tcp.Echo(c)
	}
}

// wantIdle checks that err is a *net.OpError for op that wraps ErrIdle.
func wantIdle(t *testing.T, err error, op string) {
	t.Helper()
	var oe *net.OpError
	switch {
	case !errors.Is(err, tcp.ErrIdle):
		t.Fatalf("Echo's error is %v, want one that wraps tcp.ErrIdle", err)
	case !errors.As(err, &oe) || oe.Op != op:
		t.Fatalf("Echo's error %v (%T) is not a *net.OpError for %q", err, err, op)
	}
}

// TestIdlePeerIsCut connects a client that never sends: the echo must
// end with ErrIdle, no sooner than the timeout, and close the
// connection, which the client sees as end of file.
func TestIdlePeerIsCut(t *testing.T) {
	const idle = 50 * time.Millisecond
	rt := newRT(t, 2)
	srv := serve(t, rt, 1, idleEcho(idle))
	start := time.Now()
	c, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := recv(t, srv.results, polls(rt), "the idle connection to be cut")
	if waited := time.Since(start); waited < idle {
		t.Errorf("cut after %v, before the idle timeout of %v", waited, idle)
	}
	wantIdle(t, r.Err, "read")
	eof := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		eof <- err
	}()
	if err := recv(t, eof, nil, "the client to see the server close"); err != io.EOF {
		t.Errorf("client's read after the cut = %v, want EOF", err)
	}
}

// TestIdleStuckWriter is the other direction: a client that sends but
// never reads fills the buffers until the echo cannot write, and from
// then on no byte moves. The echo must end with ErrIdle on its write.
func TestIdleStuckWriter(t *testing.T) {
	seed := testSeed(t)
	rt := newRT(t, 2)
	srv := serve(t, rt, 1, idleEcho(100*time.Millisecond))
	c, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var sent atomic.Int64
	werr := make(chan error, 1)
	go func() { werr <- flood(c, seed, 3, 256<<20, &sent) }()
	r := recv(t, srv.results, plus(polls(rt), sent.Load), "the stuck connection to be cut")
	wantIdle(t, r.Err, "write")
	if err := recv(t, werr, nil, "the client's writes to fail"); err == nil {
		t.Errorf("the client wrote all %d bytes to a server that cut it", sent.Load())
	}
}

// TestIdleActivityRearms keeps a connection busy with one-byte round
// trips, a few per idle timeout, for several timeouts: it must not be
// cut, since each byte re-arms the timer.
//
// A cut is only a bug if the client never stalled: the server cuts only
// after a whole timeout without a byte, so a machine that stops the
// client for that long makes a fair cut. The client measures the span
// from before each write to after the next one; if it was cut and some
// span reached half the timeout, the attempt proves nothing and is run
// again (up to five times, then skipped with the reason).
func TestIdleActivityRearms(t *testing.T) {
	const (
		idle  = 250 * time.Millisecond
		pace  = 10 * time.Millisecond
		total = 3 * idle
	)
	rt := newRT(t, 2)
	for attempt := 1; ; attempt++ {
		srv := serve(t, rt, 1, idleEcho(idle))
		res := make(chan pacedResult, 1)
		go func() { res <- paced(srv.addr, pace, total) }()
		pr := recv(t, res, polls(rt), "the paced client")
		r := recv(t, srv.results, polls(rt), "the server's Echo")
		if pr.err == nil {
			if r.Err != nil || r.Value != int64(pr.trips) {
				t.Fatalf("Echo = %d, %v; want %d, nil", r.Value, r.Err, pr.trips)
			}
			t.Logf("%d round trips over %v with an idle timeout of %v; longest span %v", pr.trips, total, idle, pr.span)
			return
		}
		if pr.span < idle/2 {
			t.Fatalf("cut after %d round trips (client: %v; server: %v) though the client never paused for more than %v; the idle timeout is %v",
				pr.trips, pr.err, r.Err, pr.span, idle)
		}
		if attempt == 5 {
			t.Skipf("the machine paused the client for %v or more in each of 5 attempts (idle timeout %v): too busy to tell", idle/2, idle)
		}
		t.Logf("attempt %d: cut after the client was paused for %v; again", attempt, pr.span)
	}
}

// pacedResult is what the paced client saw.
type pacedResult struct {
	trips int
	span  time.Duration // the longest time from before one write to after the next
	err   error
}

// paced makes one-byte round trips to addr every pace for total, then
// half-closes and reads end of file.
func paced(addr string, pace, total time.Duration) pacedResult {
	var pr pacedResult
	c, err := net.Dial("tcp", addr)
	if err != nil {
		pr.err = err
		return pr
	}
	defer c.Close()
	b := make([]byte, 1)
	start := time.Now()
	prev := start
	for time.Since(start) < total {
		before := time.Now()
		if _, err := c.Write([]byte{byte(pr.trips)}); err != nil {
			pr.err = err
			return pr
		}
		pr.span = max(pr.span, time.Since(prev))
		prev = before
		if _, err := io.ReadFull(c, b); err != nil {
			pr.err = err
			pr.span = max(pr.span, time.Since(prev))
			return pr
		}
		if b[0] != byte(pr.trips) {
			pr.err = errors.New("echo out of order")
			return pr
		}
		pr.trips++
		time.Sleep(pace) // the pace of a slow sender, not a wait for anything
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		pr.err = err
		return pr
	}
	switch _, err := c.Read(b); {
	case err == nil:
		pr.err = errors.New("a byte after the last echo, not end of file")
	case err != io.EOF:
		pr.err = err
	}
	return pr
}
