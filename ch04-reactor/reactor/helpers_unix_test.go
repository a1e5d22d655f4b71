//go:build linux || darwin || freebsd || netbsd || openbsd

package reactor

import (
	"sync/atomic"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
	"golang.org/x/sys/unix"
)

// newReactor returns a Reactor that the test closes when it ends.
func newReactor(t testing.TB) *Reactor {
	t.Helper()
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if reactortest.InNetpoller() {
		if err := r.UseNetpoller(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			// A watchdog may have given up on a Park that is still
			// blocked: Close would wait for it for ever. Leave the
			// reactor open; the test has failed anyway.
			return
		}
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

// await is reactortest.Await: a watchdog on done.
var await = reactortest.Await

// parallel is reactortest.Parallel: goroutines under one watchdog.
var parallel = reactortest.Parallel

// parkWatched calls r.Park on another goroutine and waits for it to
// return, failing the test with what if it does not within reactortest.StallLimit.
func parkWatched(t testing.TB, r *Reactor, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Park()
	}()
	await(t, done, nil, what)
}

// pipe is reactortest.Pipe: a non-blocking pipe, closed by Cleanup.
var pipe = reactortest.Pipe

// registeredPipe returns a pipe (as pipe does) whose read end is
// registered with r, and deregistered when the test ends, before the
// pipe is closed.
func registeredPipe(t testing.TB, r *Reactor) (reg *Registration, rd, wr int) {
	t.Helper()
	rd, wr = pipe(t)
	reg, err := r.Register(rd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Deregister() })
	return reg, rd, wr
}

// drain reads fd until EAGAIN and returns what it read.
func drain(t testing.TB, fd int) string {
	t.Helper()
	var got []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(fd, buf)
		if err == unix.EAGAIN {
			return string(got)
		}
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if n == 0 {
			return string(got)
		}
		got = append(got, buf[:n]...)
	}
}

// fill writes to fd until EAGAIN and returns how many bytes it wrote.
func fill(t testing.TB, fd int) int {
	t.Helper()
	buf := make([]byte, 64<<10)
	total := 0
	for {
		n, err := unix.Write(fd, buf)
		if err == unix.EAGAIN {
			return total
		}
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		total += n
	}
}

// counter is a waker that counts its wake-ups; safe from any goroutine.
type counter struct{ n atomic.Int64 }

func (c *counter) Wake()               { c.n.Add(1) }
func (c *counter) count() int          { return int(c.n.Load()) }
func (c *counter) cx() *future.Context { return future.NewContext(c) }

// mustPending polls f once and fails the test unless it is pending.
func mustPending[T any](t *testing.T, f future.Future[T], cx *future.Context) {
	t.Helper()
	if p := f.Poll(cx); p.IsDone() {
		t.Fatalf("Poll = %v, want Pending", p)
	}
}

// mustDone polls f once and returns its value, failing the test if it is
// pending.
func mustDone[T any](t *testing.T, f future.Future[T], cx *future.Context) T {
	t.Helper()
	v, ok := f.Poll(cx).Value()
	if !ok {
		t.Fatal("Poll = Pending, want Done")
	}
	return v
}

// mustPanic fails the test unless fn panics with want.
func mustPanic(t *testing.T, want string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		if got := recover(); got != want {
			t.Errorf("panic = %v, want %q", got, want)
		}
	}()
	fn()
}
