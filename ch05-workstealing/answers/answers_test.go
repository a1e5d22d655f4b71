package answers

import (
	"math/bits"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch05-workstealing/schedtest"
)

// watchdog is how long a test waits for a task before it fails: long
// enough that a busy machine only makes the test slower.
const watchdog = 20 * time.Second

// newRT starts a runtime of n workers and shuts it down when the test
// ends (see schedtest.New).
func newRT(t *testing.T, n int) *sched.Runtime {
	t.Helper()
	return schedtest.New(t, n, sched.New)
}

// result waits for h's task and returns its value, failing the test if
// the task fails or is not done within the watchdog's time.
func result[T any](t *testing.T, h *sched.JoinHandle[T], what string) T {
	t.Helper()
	done := make(chan future.Result[T], 1)
	go func() { done <- executor.BlockOn[future.Result[T]](h) }()
	select {
	case r := <-done:
		v, err := r.Get()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	case <-time.After(watchdog):
		t.Fatalf("%s: not done after %v", what, watchdog)
		panic("unreachable")
	}
}

// waitUntil waits until cond holds, failing the test after the watchdog's
// time. It polls a condition; it does not synchronise anything.
func waitUntil(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(watchdog)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s after %v", what, watchdog)
		}
		runtime.Gosched()
	}
}

// TestGroup spawns 100 tasks that each call Done, and three tasks that
// Wait: every waiter sees the count at zero, so every task finished
// before any waiter did.
func TestGroup(t *testing.T) {
	for range 20 {
		rt := newRT(t, 2)
		var g Group
		var finished atomic.Int32
		const tasks = 100
		g.Add(tasks)
		var waiters []*sched.JoinHandle[int32]
		for range 3 {
			wait := g.Wait()
			waiters = append(waiters, sched.Spawn(rt, future.Map(wait,
				func(struct{}) int32 { return finished.Load() })))
		}
		for range tasks {
			sched.Spawn(rt, future.Func[struct{}](func(*future.Context) future.Poll[struct{}] {
				finished.Add(1)
				g.Done()
				return future.Done(struct{}{})
			}))
		}
		for _, h := range waiters {
			if n := result(t, h, "a Wait"); n != tasks {
				t.Fatalf("a waiter woke with %d of %d tasks done", n, tasks)
			}
		}
	}
}

// TestGroupCancel cancels a pending Wait: the Group forgets it.
func TestGroupCancel(t *testing.T) {
	var g Group
	g.Add(1)
	woken := false
	w := g.Wait()
	if w.Poll(future.NewContext(future.WakerFunc(func() { woken = true }))).IsDone() {
		t.Fatal("Wait done with the count at 1")
	}
	future.Cancel(w)
	g.Done()
	if woken || len(g.waiters) != 0 {
		t.Fatalf("a cancelled Wait was kept (%d waiters) or woken (%t)", len(g.waiters), woken)
	}
}

// TestYield runs a long task on one worker, and spawns a probe from
// outside while it runs. Done in one poll, the long task finishes before
// the probe runs. Done a round per poll, it lets the probe in within 61
// polls, the worker's look at the global queue, plus the one under way.
func TestYield(t *testing.T) {
	const rounds = 1000
	for _, yield := range []bool{false, true} {
		rt := newRT(t, 1)
		c := &Chunks{N: rounds, Yield: yield}
		long := sched.Spawn[int64](rt, c)
		waitUntil(t, func() bool { return c.Rounds.Load() > 0 }, "the long task never ran")
		probe := sched.Spawn(rt, future.Func[int64](func(*future.Context) future.Poll[int64] {
			return future.Done(c.Rounds.Load())
		}))
		base := c.Rounds.Load() // after Spawn: if anything, too high
		seen := result(t, probe, "the probe")
		if n := result(t, long, "the long task"); n != rounds {
			t.Fatalf("the long task did %d rounds, want %d", n, rounds)
		}
		t.Logf("yield %t: the probe ran after round %d (spawned at %d)", yield, seen, base)
		switch {
		case !yield && seen != rounds:
			t.Errorf("in one poll: the probe ran after round %d, want %d: it cannot run while the poll does", seen, rounds)
		case yield && seen-base > 61+1:
			t.Errorf("a round per poll: the probe ran %d rounds after it was spawned, want at most 62", seen-base)
		}
	}
}

// worker is a task that holds a permit of s for a few polls, and records
// how many tasks held one at once.
func worker(s *Semaphore, holding, most *atomic.Int32) future.Future[struct{}] {
	return future.Then(s.Acquire(), func(struct{}) future.Future[struct{}] {
		n := holding.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		return future.Map(future.Yield(3, struct{}{}), func(struct{}) struct{} {
			holding.Add(-1)
			s.Release()
			return struct{}{}
		})
	})
}

// TestSemaphore runs 100 tasks over 4 permits on two workers: all finish,
// and never more than 4 hold a permit at once.
func TestSemaphore(t *testing.T) {
	for range 20 {
		rt := newRT(t, 2)
		s := NewSemaphore(4)
		var holding, most atomic.Int32
		var hs []*sched.JoinHandle[struct{}]
		for range 100 {
			hs = append(hs, sched.Spawn(rt, worker(s, &holding, &most)))
		}
		for _, h := range hs {
			result(t, h, "a task with a permit")
		}
		if m := most.Load(); m < 1 || m > 4 {
			t.Fatalf("%d tasks held a permit at once, want 1 to 4", m)
		}
		if s.free != 4 || len(s.queue) != 0 {
			t.Fatalf("after all: %d free, %d waiting; want 4 and 0", s.free, len(s.queue))
		}
	}
}

// TestSemaphoreOrderAndCancel polls by hand: waiters are served in the
// order they asked, a cancelled waiter leaves the queue, and a permit
// handed to a waiter that is then cancelled goes to the next one.
func TestSemaphoreOrderAndCancel(t *testing.T) {
	s := NewSemaphore(1)
	cx := func(woken *int) *future.Context {
		return future.NewContext(future.WakerFunc(func() { *woken++ }))
	}
	var wa, wb, wc, wd int
	a, b, c, d := s.Acquire(), s.Acquire(), s.Acquire(), s.Acquire()
	if !a.Poll(cx(&wa)).IsDone() {
		t.Fatal("the first Acquire waited with a permit free")
	}
	for _, f := range []struct {
		f future.Future[struct{}]
		w *int
	}{{b, &wb}, {c, &wc}, {d, &wd}} {
		if f.f.Poll(cx(f.w)).IsDone() {
			t.Fatal("an Acquire was done with no permit free")
		}
	}
	future.Cancel(c) // queued: leaves the queue
	s.Release()      // a's permit: to b
	if wb != 1 || !b.Poll(cx(&wb)).IsDone() {
		t.Fatalf("Release did not hand the permit to the oldest waiter (woken %d)", wb)
	}
	s.Release() // b's permit: to d, since c left
	if wc != 0 || wd != 1 {
		t.Fatalf("after c's Cancel, Release woke c %d times and d %d times; want 0 and 1", wc, wd)
	}
	future.Cancel(d) // granted but never polled: passes the permit on
	if s.free != 1 || len(s.queue) != 0 {
		t.Fatalf("a cancelled grant left %d free, %d waiting; want 1 and 0", s.free, len(s.queue))
	}
}

// TestStealModel compares stealing half with stealing one, on 200 tasks
// all spawned on one worker. Half spreads them in a few steals, and all
// workers finish close to an even share; one steals once per task a
// thief runs, and takes longer.
func TestStealModel(t *testing.T) {
	const tasks = 200
	for _, workers := range []int{2, 8} {
		var rounds, steals [2]int
		for i, half := range []bool{true, false} {
			r, s, runs := StealModel(workers, tasks, half)
			for task, n := range runs {
				if n != 1 {
					t.Fatalf("half %t: task %d ran %d times", half, task, n)
				}
			}
			rounds[i], steals[i] = r, s
			t.Logf("%d workers, steal half %t: %d rounds, %d steals", workers, half, r, s)
		}
		even := (tasks + workers - 1) / workers
		logN := bits.Len(uint(tasks))
		if rounds[0] > even+2*logN {
			t.Errorf("%d workers, half: %d rounds, want at most an even share (%d) plus %d", workers, rounds[0], even, 2*logN)
		}
		if steals[0] > workers*logN {
			t.Errorf("%d workers, half: %d steals, want at most %d", workers, steals[0], workers*logN)
		}
		if rounds[1] <= rounds[0] || steals[1] < 2*steals[0] {
			t.Errorf("%d workers: stealing one took %d rounds and %d steals, half %d and %d; want one slower, with over twice the steals",
				workers, rounds[1], steals[1], rounds[0], steals[0])
		}
	}
}
