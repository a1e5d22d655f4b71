//go:build linux || darwin || freebsd || netbsd || openbsd

package sched

import (
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
	"golang.org/x/sys/unix"
)

// wakes is a waker that counts its wake-ups; the tests here call it on
// their own goroutine.
type wakes int

func (n *wakes) Wake() { *n++ }

// TestPeekWatchesNothing gives a worker of a Runtime built by hand the
// busy worker's every-61 peek, first with a reactor that watches
// nothing, then with a registered pipe, then with a timer, and counts
// the waits in the kernel (OnWait reports each) and the allocations.
// Watching nothing, a peek makes no wait and allocates nothing. Watching
// something, it makes one wait, allocates nothing, and wakes what the
// wait made ready.
func TestPeekWatchesNothing(t *testing.T) {
	r := testReactor(t)
	rt := stillRuntime(1)
	rt.reactor = r
	w := rt.workers[0]
	waits := 0
	r.OnWait(func(wt reactor.Wait) {
		if wt.Timeout != 0 {
			t.Errorf("a peek waited with timeout %v, want 0", wt.Timeout)
		}
		waits++
	})
	peeks := func(what string, wantWaits int) {
		t.Helper()
		waits = 0
		// AllocsPerRun calls the function once more, to warm up.
		allocs := testing.AllocsPerRun(100, w.peekReactor)
		if waits != wantWaits || allocs != 0 {
			t.Errorf("%s: 101 peeks made %d waits and %v allocations"+
				" each, want %d and 0", what, waits, allocs, wantWaits)
		}
	}
	peeks("nothing watched", 0)

	rd, wr := reactortest.Pipe(t)
	reg, err := r.Register(rd)
	if err != nil {
		t.Fatal(err)
	}
	peeks("a pipe registered", 101)
	var woken wakes
	if p := reg.PollReadable(future.NewContext(&woken)); p.IsDone() {
		t.Fatal("an empty pipe is readable")
	}
	if _, err := unix.Write(wr, []byte{1}); err != nil {
		t.Fatal(err)
	}
	w.peekReactor()
	if woken != 1 {
		t.Fatalf("a peek after a write to the pipe woke its reader"+
			" %d times, want 1", woken)
	}
	if err := reg.Deregister(); err != nil {
		t.Fatal(err)
	}
	peeks("the pipe deregistered", 0)

	// A timer due at once: the first peek that finds it due fires it.
	sl := r.Sleep(time.Nanosecond)
	woken = 0
	if sl.Poll(future.NewContext(&woken)).IsDone() {
		t.Fatal("a 1ns Sleep is done on its first poll")
	}
	deadline := time.Now().Add(reactortest.StallLimit)
	for woken == 0 && time.Now().Before(deadline) {
		w.peekReactor()
	}
	if woken != 1 {
		t.Fatalf("peeks woke a due timer's waker %d times, want 1", woken)
	}
	peeks("the timer fired", 0)
}

// testReactor returns a new reactor for a Runtime built by hand, closed
// when the test ends, and asleep in Go's netpoller when the suite runs
// there (reactortest.SuiteInNetpoller).
func testReactor(t *testing.T) *reactor.Reactor {
	t.Helper()
	r, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if reactortest.InNetpoller() {
		if err := r.UseNetpoller(); err != nil {
			t.Fatal(err)
		}
	}
	return r
}
