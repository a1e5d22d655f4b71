package tcp_test

import (
	"fmt"
	"net"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// TestPartialWriteWaits writes 16 MiB at once to a peer that never
// reads: the kernel takes what fits in the buffers and PollWrite says
// how much. A write the kernel took only part of means the send buffer
// is full, so the next write must wait for the socket's writable edge
// instead of trying the socket first only to be told EAGAIN.
func TestPartialWriteWaits(t *testing.T) {
	peer, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := peer.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c // and never read from it
	}()
	rt := newRT(t, 1)
	var c *tcp.Conn
	dial := tcp.Dial(rt.Reactor(), peer.Addr().String())
	p := make([]byte, 16<<20)
	h := sched.Spawn(rt, future.Func[error](func(cx *future.Context) future.Poll[error] {
		if c == nil {
			r, ok := dial.Poll(cx).Value()
			if !ok {
				return future.Pending[error]()
			}
			if r.Err != nil {
				return future.Done(r.Err)
			}
			c = r.Value
		}
		for {
			r, ok := c.PollWrite(cx, p).Value()
			switch {
			case !ok:
				return future.Done[error](fmt.Errorf("PollWrite waited before any partial write"))
			case r.Err != nil:
				return future.Done(r.Err)
			case r.Value == len(p):
				continue // the buffers took it all: write again
			case !tcp.WriteWaiting(c):
				return future.Done(fmt.Errorf("the kernel took %d of %d bytes, and the next write would try the socket before waiting", r.Value, len(p)))
			}
			return future.Done[error](nil)
		}
	}))
	err, jerr := join(t, rt, h, "a write to a peer that does not read")
	if c != nil {
		c.Close()
	}
	if pc, ok := <-accepted; ok {
		pc.Close()
	}
	if jerr != nil {
		t.Fatal(jerr)
	}
	if err != nil {
		t.Fatal(err)
	}
}
