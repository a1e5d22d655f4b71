//go:build linux || darwin || freebsd || netbsd || openbsd

package tcp_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch05-workstealing/schedtest"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// TestEchoShortReadThenEOF makes one round trip, so that the echo waits
// for its next edge, then sends a few bytes and half-closes at once: the
// bytes and the end of stream often reach the server in one readiness
// event. A read that returns fewer bytes than asked has not
// necessarily emptied the socket of everything: the end of stream may be
// behind the bytes, and no new edge will announce it. The echo must see
// it and finish, not wait for ever.
func TestEchoShortReadThenEOF(t *testing.T) {
	for i := range 20 {
		rt := schedtest.New(t, 2, sched.New)
		l, err := tcp.Listen(rt.Reactor(), "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		h := sched.Spawn(rt, future.Then(l.Accept(),
			func(r future.Result[*tcp.Conn]) future.Future[future.Result[int64]] {
				if r.Err != nil {
					return future.Ready(future.Err[int64](r.Err))
				}
				return tcp.Echo(r.Value)
			}))
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		// One round trip, so that the echo is waiting for its next edge.
		one := make([]byte, 1)
		if _, err := c.Write([]byte("h")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, one); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte("ello")); err != nil {
			t.Fatal(err)
		}
		if err := c.(*net.TCPConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		back, err := io.ReadAll(c)
		if err != nil || "h"+string(back) != "hello" {
			t.Fatalf("round %d: client read %q, %v; want \"ello\" and end of file", i, back, err)
		}
		done := make(chan future.Result[future.Result[int64]], 1)
		go func() { done <- executor.BlockOn[future.Result[future.Result[int64]]](h) }()
		select {
		case r := <-done:
			if r.Err != nil || r.Value.Err != nil || r.Value.Value != 5 {
				t.Fatalf("round %d: echo done with %v, want 5 bytes", i, r)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: echo not done 10s after the client half-closed", i)
		}
		c.Close()
		l.Close()
		schedtest.Shutdown(t, rt)
	}
}
