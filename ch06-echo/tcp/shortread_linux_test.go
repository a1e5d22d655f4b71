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
	r, client, c, cx := handDriven(t)
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

// handDriven makes a connection on a reactor that only the test turns:
// the reactor, the client's end (a net.Conn) and the server's (a Conn,
// accepted by turning the reactor until Accept is done), and a context
// whose waker does nothing. Cleanup closes all of them.
func handDriven(t *testing.T) (*reactor.Reactor, net.Conn, *tcp.Conn, *future.Context) {
	t.Helper()
	r, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	l, err := tcp.Listen(r, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	cx := future.NewContext(future.NoopWaker)
	c := pollUntil(t, r, cx, l.Accept(), "Accept").Value
	t.Cleanup(func() { c.Close() })
	return r, client, c, cx
}

// TestShortReadIsNoProof holds the rule that a read returning fewer bytes
// than asked for does not prove the socket empty. Bytes can arrive while
// the read runs (on loopback the window update the read sends makes the
// sender transmit at once, inside the same system call): they are queued
// when the read returns, and the edge they raise reaches the reactor only
// at its next turn, which a busy runtime takes rarely. The test plays
// that out without a turn: after a short read, more bytes arrive and the
// reactor is never turned; the next read must return them. (A Conn that
// took the short read to mean "wait for the next edge" left a 9 MiB
// download stalled with 100 KiB queued until the whole run ended.)
func TestShortReadIsNoProof(t *testing.T) {
	_, client, c, cx := handDriven(t)
	buf := make([]byte, 4096)
	for i, msg := range []string{"first", "second", "third"} {
		if _, err := client.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		waitQueued(t, c, len(msg))
		// No turn of the reactor from here on: its flags say nothing.
		res, ok := c.Read(buf).Poll(cx).Value()
		if !ok {
			t.Fatalf("read %d, after a short read, waits for an edge "+
				"with %q queued", i, msg)
		}
		if res.Err != nil || string(buf[:res.Value]) != msg {
			t.Fatalf("read %d = %q, %v; want %q", i,
				buf[:max(res.Value, 0)], res.Err, msg)
		}
	}
}

// waitQueued waits, without turning any reactor, until n bytes are
// queued on c's socket.
func waitQueued(t *testing.T, c *tcp.Conn, n int) {
	t.Helper()
	deadline := time.Now().Add(stallLimit)
	for {
		q, err := unix.IoctlGetInt(tcp.ConnFD(c), unix.SIOCINQ)
		if err != nil {
			t.Fatal(err)
		}
		if q >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d bytes queued after %v", q, n, stallLimit)
		}
		time.Sleep(time.Millisecond)
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
