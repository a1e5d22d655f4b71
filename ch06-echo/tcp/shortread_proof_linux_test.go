package tcp_test

import (
	"net"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
	"golang.org/x/sys/unix"
)

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
