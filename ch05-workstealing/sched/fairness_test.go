package sched_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

// The fairness tests run a task that never stops asking to run beside
// one that waits for something, and count how many times the greedy one
// was polled before the other got its turn. On one worker the bound is
// exact and the tests assert it: the worker looks at the global queue and
// the reactor every sched.EventInterval polls, whatever the clock says,
// and a busy machine only slows both down alike. On two workers the
// count is logged, not asserted: there the waiting task may be taken by
// (or its timer fired on) the other worker, whose thread the OS may
// leave unscheduled for as long as it likes while the greedy task's
// worker keeps polling. That it finishes at all is the assertion.

// spinner is a task that wakes itself in every poll and returns Pending,
// until stop is set: the greediest task there is. It counts its polls,
// and those made after the time in after (if set).
type spinner struct {
	polls atomic.Int64
	late  atomic.Int64
	after atomic.Pointer[time.Time]
	stop  atomic.Bool
}

func (s *spinner) Poll(cx *future.Context) future.Poll[int64] {
	n := s.polls.Add(1)
	if a := s.after.Load(); a != nil && !time.Now().Before(*a) {
		s.late.Add(1)
	}
	if s.stop.Load() {
		return future.Done(n)
	}
	cx.Waker().Wake()
	return future.Pending[int64]()
}

// startSpinner spawns a spinner on rt, waits until it runs, and stops it
// when the test ends.
func startSpinner(t *testing.T, rt *sched.Runtime) *spinner {
	t.Helper()
	s := new(spinner)
	h := sched.Spawn[int64](rt, s)
	waitFor(t, func() bool { return s.polls.Load() > 0 }, "the spinner never ran")
	t.Cleanup(func() {
		s.stop.Store(true) // before newRT's cleanup shuts rt down
		if !t.Failed() {
			finished(t, h, "the spinner did not stop")
		}
	})
	return s
}

// bound checks, on a one-worker runtime, that n polls of the greedy task
// are within max, and logs n either way.
func bound(t *testing.T, workers int, what string, n, max int64) {
	t.Helper()
	t.Logf("%d workers: %s after %d polls of the greedy task (bound on 1 worker: %d)", workers, what, n, max)
	if workers == 1 && n > max {
		t.Errorf("1 worker: %s only after %d polls of the greedy task, want at most %d", what, n, max)
	}
}

// finished waits, with a watchdog that does not count the greedy task's
// polls as progress, until h's task is done.
func finished[T any](t *testing.T, h *sched.JoinHandle[T], what string) T {
	t.Helper()
	done := make(chan struct{})
	var r future.Result[T]
	go func() {
		defer close(done)
		r = awaitHandle(h)
	}()
	await(t, done, nil, what)
	v, err := r.Get()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// TestFairnessGlobalQueue spawns tasks from outside the runtime, onto the
// global queue, beside a spinner. On one worker each is polled within
// sched.EventInterval polls of the spinner (the every-61 look), plus the
// one that was running when it arrived.
func TestFairnessGlobalQueue(t *testing.T) {
	for _, workers := range []int{1, 2} {
		rt := newRT(t, workers)
		s := startSpinner(t, rt)
		var worst int64
		for range 20 {
			h := sched.Spawn(rt, future.Func[int64](func(*future.Context) future.Poll[int64] {
				return future.Done(s.polls.Load())
			}))
			// Read after Spawn has queued the task, so that a test
			// goroutine descheduled in between cannot inflate the count;
			// if anything, the count comes out low.
			base := s.polls.Load()
			seen := finished(t, h, "a task on the global queue never ran beside a spinner")
			worst = max(worst, seen-base)
		}
		bound(t, workers, "a spawned task ran", worst, sched.EventInterval+1)
	}
}

// TestFairnessLocalQueue spawns tasks from inside the spinner, onto its
// own worker's queues: they share the worker with it, one poll each in
// turn, and finish after about as many of its polls as they need.
func TestFairnessLocalQueue(t *testing.T) {
	const (
		children = 10
		yields   = 5
	)
	for _, workers := range []int{1, 2} {
		rt := newRT(t, workers)
		var s spinner
		var hs []*sched.JoinHandle[int64]
		spawned := make(chan struct{})
		root := future.Func[int64](func(cx *future.Context) future.Poll[int64] {
			if hs == nil {
				for range children {
					hs = append(hs, sched.SpawnFrom(cx, future.Map(future.Yield(yields, 0),
						func(int) int64 { return s.polls.Load() })))
				}
				close(spawned)
			}
			return s.Poll(cx)
		})
		h := sched.Spawn(rt, root)
		await(t, spawned, nil, "the spinner never ran")
		var worst int64
		for _, c := range hs {
			worst = max(worst, finished(t, c, "a task spawned beside a spinner never finished"))
		}
		s.stop.Store(true)
		finished(t, h, "the spinner did not stop")
		bound(t, workers, "every sibling finished", worst, 2*(yields+1)+sched.EventInterval)
	}
}

// TestFairnessTimers sleeps 10ms beside a spinner. The timer joins the
// reactor's heap at the sleeper's first poll; from then, once its
// deadline has passed, on one worker it fires at the next reactor turn,
// at most sched.EventInterval polls of the spinner later, and the
// sleeper runs a poll or two after that.
func TestFairnessTimers(t *testing.T) {
	for _, workers := range []int{1, 2} {
		rt := newRT(t, workers)
		s := startSpinner(t, rt)
		sl := rt.Sleep(10 * time.Millisecond)
		deadline := time.Now().Add(10 * time.Millisecond) // no earlier than the sleep's
		s.late.Store(0)
		first := true
		h := sched.Spawn(rt, future.Func[int64](func(cx *future.Context) future.Poll[int64] {
			p := sl.Poll(cx)
			if first {
				// Count from the deadline, or from now if a busy
				// machine got here later: the timer is in the heap now.
				first = false
				from := time.Now()
				if from.Before(deadline) {
					from = deadline
				}
				s.after.Store(&from)
			}
			if !p.IsDone() {
				return future.Pending[int64]()
			}
			return future.Done(s.late.Load())
		}))
		late := finished(t, h, "a 10ms sleep beside a spinner never finished")
		s.after.Store(nil)
		bound(t, workers, "a 10ms sleep finished", late, sched.EventInterval+3)
	}
}

// TestFairnessPingPong runs two kinds of pair that keep each other busy
// for ever, and beside each a task that yields (on the same worker's
// ring) and one spawned from outside (on the global queue): both must
// finish. The join pair is the one the LIFO cap is for: a task spawns a
// child and awaits it, so the child goes into the LIFO slot, and its
// completion puts the parent back there, and so on. Without the cap of
// sched.MaxLIFORun turns, the ring would never be looked at.
func TestFairnessPingPong(t *testing.T) {
	const yields = 10
	pairs := map[string]func(stop *atomic.Bool, rounds *atomic.Int64) (future.Future[int64], future.Future[int64]){
		"join": func(stop *atomic.Bool, rounds *atomic.Int64) (future.Future[int64], future.Future[int64]) {
			return joinLoop(stop, rounds), future.Ready[int64](0)
		},
		"wake": wakePair,
	}
	for name, pair := range pairs {
		for _, workers := range []int{1, 2} {
			rt := newRT(t, workers)
			var stop atomic.Bool
			var rounds atomic.Int64
			t.Cleanup(func() { stop.Store(true) }) // if the test fails early
			a, b := pair(&stop, &rounds)
			var (
				third *sched.JoinHandle[int64]
				spawn = make(chan struct{})
			)
			// The root starts the pair from inside the runtime, with the
			// yielding task queued ahead of them on the same worker.
			ha := sched.Spawn(rt, future.Func[int64](func(cx *future.Context) future.Poll[int64] {
				if third == nil {
					third = sched.SpawnFrom(cx, future.Map(future.Yield(yields, 0),
						func(int) int64 { return rounds.Load() }))
					sched.SpawnFrom(cx, b)
					close(spawn)
				}
				return a.Poll(cx)
			}))
			await(t, spawn, nil, "the pair never started")
			outside := sched.Spawn(rt, future.Func[int64](func(*future.Context) future.Poll[int64] {
				return future.Done(rounds.Load())
			}))
			base := rounds.Load() // after Spawn, as in TestFairnessGlobalQueue
			r1 := finished(t, third, name+" pair: a yielding task beside it never finished")
			r2 := finished(t, outside, name+" pair: a task spawned from outside never ran")
			stop.Store(true)
			finished(t, ha, name+" pair: did not stop")
			bound(t, workers, name+" pair: a yielding task finished", r1, 2*(sched.MaxLIFORun+1)*(yields+1))
			bound(t, workers, name+" pair: a task from outside ran", r2-base, 2*sched.EventInterval)
		}
	}
}

// joinLoop is a task that spawns a trivial child, awaits it, and again,
// until stop; rounds counts the children.
func joinLoop(stop *atomic.Bool, rounds *atomic.Int64) future.Future[int64] {
	var child *sched.JoinHandle[int64]
	return future.Func[int64](func(cx *future.Context) future.Poll[int64] {
		for {
			if child != nil {
				if !child.Poll(cx).IsDone() {
					return future.Pending[int64]()
				}
				child = nil
				rounds.Add(1)
			}
			if stop.Load() {
				return future.Done(rounds.Load())
			}
			child = sched.SpawnFrom(cx, future.Ready[int64](0))
		}
	})
}

// wakePair returns two tasks that wake each other from inside their polls:
// each poll wakes the other and returns Pending, until stop.
func wakePair(stop *atomic.Bool, rounds *atomic.Int64) (future.Future[int64], future.Future[int64]) {
	var wa, wb atomic.Pointer[future.Waker]
	side := func(me, other *atomic.Pointer[future.Waker]) future.Future[int64] {
		return future.Func[int64](func(cx *future.Context) future.Poll[int64] {
			w := cx.Waker()
			me.Store(&w)
			rounds.Add(1)
			if stop.Load() {
				if o := other.Load(); o != nil {
					(*o).Wake() // so that the other sees stop too
				}
				return future.Done(rounds.Load())
			}
			if o := other.Load(); o != nil {
				(*o).Wake()
			} else {
				w.Wake() // the other has not run yet: come back
			}
			return future.Pending[int64]()
		})
	}
	return side(&wa, &wb), side(&wb, &wa)
}

// TestBusyPeekWatchingNothing keeps the one worker of a runtime busy
// with a spinner, so that it never parks, while the reactor watches
// nothing: no descriptor, no timer. Its peeks, one every
// sched.EventInterval polls, then make no wait in the kernel (OnWait
// reports every wait, a peek's with a timeout of 0). TestFairnessIO and
// TestFairnessTimers check the other side: once something is watched,
// the peeks see it.
func TestBusyPeekWatchingNothing(t *testing.T) {
	rt := newRT(t, 1)
	var peeks atomic.Int64
	rt.Reactor().OnWait(func(w reactor.Wait) {
		if w.Timeout == 0 {
			peeks.Add(1)
		}
	})
	s := startSpinner(t, rt)
	const rounds = 20
	target := s.polls.Load() + rounds*sched.EventInterval
	waitFor(t, func() bool { return s.polls.Load() >= target },
		"the spinner stopped")
	if n := peeks.Load(); n != 0 {
		t.Errorf("%d waits in the kernel in %d polls of a busy worker"+
			" whose reactor watches nothing, want 0",
			n, rounds*sched.EventInterval)
	}
}
