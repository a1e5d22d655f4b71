package tcp_test

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
	"golang.org/x/sys/unix"
)

// TestShortReadThenEOF drives a reactor by hand so that a peer's last
// bytes and its FIN reach the server before the reactor looks, and are
// reported as one readable edge. The read that edge allows returns the
// bytes, fewer than the buffer holds; the next read must return end of
// file without waiting for another edge, because none will come. (A
// Conn that took the short read to mean "the socket is empty, wait for
// the next edge" hung here: an echo of a small message followed by a
// half-close never finished.)
func TestShortReadThenEOF(t *testing.T) {
	r, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	l, err := tcp.Listen(r, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	cx := future.NewContext(future.NoopWaker)
	c := pollUntil(t, r, cx, l.Accept(), "Accept").Value
	defer c.Close()
	buf := make([]byte, 4096)
	rd := c.Read(buf)
	if _, ok := rd.Poll(cx).Value(); ok {
		t.Fatal("a read before the client wrote was done")
	}

	if _, err := client.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := client.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	// Wait, without turning the reactor, until the FIN is in: the byte
	// and the FIN then make a single edge.
	deadline := time.Now().Add(stallLimit)
	for {
		info, err := unix.GetsockoptTCPInfo(tcp.ConnFD(c), unix.IPPROTO_TCP, unix.TCP_INFO)
		if err != nil {
			t.Fatal(err)
		}
		if info.State == unix.BPF_TCP_CLOSE_WAIT {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server's socket is in state %d after %v, not CLOSE_WAIT", info.State, stallLimit)
		}
	}
	r.TryPark()
	res, ok := rd.Poll(cx).Value()
	if !ok || res.Err != nil || res.Value != 1 || buf[0] != 'x' {
		t.Fatalf("read after the edge = %v, %v (%q); want 1 byte, x", res, ok, buf[:max(res.Value, 0)])
	}
	rd = c.Read(buf)
	for range 3 { // more turns change nothing: no edge is coming
		if res, ok = rd.Poll(cx).Value(); ok {
			break
		}
		r.TryPark()
	}
	if !ok || !errors.Is(res.Err, io.EOF) {
		t.Fatalf("the read after a short read = %v, done %v; want end of file at once", res, ok)
	}
}

// pollUntil polls f, turning r between polls, until it is done with no
// error, under a watchdog.
func pollUntil[T any](t *testing.T, r *reactor.Reactor, cx *future.Context, f future.Future[future.Result[T]], what string) future.Result[T] {
	t.Helper()
	deadline := time.Now().Add(stallLimit)
	for {
		if res, ok := f.Poll(cx).Value(); ok {
			if res.Err != nil {
				t.Fatalf("%s: %v", what, res.Err)
			}
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not done after %v", what, stallLimit)
		}
		r.TryPark()
	}
}
