package tcp_test

import (
	"errors"
	"io"
	"net"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch05-workstealing/schedtest"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// TestNoLeaksAfterShutdown runs a server, lets some clients finish and
// leaves others connected and silent, with an Accept pending, then shuts
// the runtime down. Shutdown cancels the accept loop (closing the
// listener) and the silent connections' echoes (closing them, which
// their clients see as end of file); afterwards the process has no more
// goroutines and no more descriptors than before.
func TestNoLeaksAfterShutdown(t *testing.T) {
	const finished, silent = 10, 3
	seed := testSeed(t)
	// Package net opens its poller's descriptors on first use: use it
	// once before counting.
	warm, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	warm.Close()
	fds0, haveFDs := openFDs()
	g0 := runtime.NumGoroutine()

	rt, err := sched.New(2)
	if errors.Is(err, reactor.ErrUnsupported) {
		t.Skipf("no reactor on %s: %v", runtime.GOOS, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan struct{}, finished+silent)
	srv := serve(t, rt, 0, func(c *tcp.Conn) future.Future[future.Result[int64]] {
		accepted <- struct{}{}
		return tcp.Echo(c)
	})
	var got atomic.Int64
	progress := plus(polls(rt), got.Load)
	reactortest.Parallel(t, finished, progress, "the clients that finish", func(i int) error {
		return netClient(srv.addr, seed, uint64(i), 10000, &got)
	})
	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for range silent {
		c, err := net.Dial("tcp", srv.addr)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	for range finished + silent {
		recv(t, accepted, progress, "the server to accept every client")
	}
	for range finished {
		if r := recv(t, srv.results, progress, "the finished echoes"); r.Err != nil {
			t.Errorf("Echo: %v", r.Err)
		}
	}

	if err := schedtest.Shutdown(t, rt); err != nil {
		t.Fatal(err)
	}
	if _, err := join(t, rt, srv.task, "the accept loop"); !errors.Is(err, sched.ErrShutdown) {
		t.Errorf("accept loop after Shutdown: %v, want sched.ErrShutdown", err)
	}
	for i, c := range idle {
		eof := make(chan error, 1)
		go func() {
			_, err := c.Read(make([]byte, 1))
			eof <- err
		}()
		if err := recv(t, eof, nil, "a silent client to see its connection closed"); err != io.EOF {
			t.Errorf("silent client %d: read after Shutdown = %v, want EOF", i, err)
		}
		c.Close()
	}
	idle = nil
	goroutinesBack(t, g0)
	if haveFDs {
		fdsBack(t, fds0)
	} else {
		t.Logf("no /proc/self/fd on %s: descriptors not counted", runtime.GOOS)
	}
}
