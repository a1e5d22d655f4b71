package sched

import (
	"testing"
	"unsafe"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// These tests look at one mechanism of the runtime at a time, on a
// Runtime built by hand and never started: its state is what the test
// sets, so what they hold does not depend on timing.

// idleTask returns a task of rt that is on no queue and not running.
func idleTask(rt *Runtime) *header {
	t := newTask(rt, future.Ready(0))
	t.h.state.Store(0)
	return &t.h
}

// stillRuntime returns a Runtime of n workers whose goroutines never run.
func stillRuntime(n int) *Runtime {
	rt := &Runtime{steal: true}
	for i := range n {
		rt.workers = append(rt.workers,
			&worker{rt: rt, id: i, token: make(chan struct{}, 1)})
	}
	return rt
}

// TestStealTakesHalf steals from rings of several lengths: the thief
// takes half, rounded up, the oldest ones, returns the oldest of those
// to run and leaves the rest, in order, on its own ring.
func TestStealTakesHalf(t *testing.T) {
	for _, n := range []int{1, 2, 3, 10, 127, 128} {
		var q, dst ring
		hs := make([]header, n)
		for i := range hs {
			q.push(&hs[i])
		}
		want := n - n/2
		x := q.stealInto(&dst)
		if x != &hs[want-1] {
			t.Errorf("n=%d: stealInto returned the wrong task", n)
		}
		if got := int(dst.len()) + 1; got != want {
			t.Errorf("n=%d: the thief took %d tasks, want %d", n, got, want)
		}
		if got := int(q.len()); got != n/2 {
			t.Errorf("n=%d: the victim kept %d tasks, want %d", n, got, n/2)
		}
		for i := range want - 1 {
			if h := dst.pop(); h != &hs[i] {
				t.Errorf("n=%d: the thief's task %d is out of order", n, i)
			}
		}
	}
}

// TestSpinRuleHalfTheBusy asks maySpin in each state of a runtime of
// four workers: a worker may start spinning only while fewer than half
// the busy workers (those not idle) spin (findRunnable's rule).
func TestSpinRuleHalfTheBusy(t *testing.T) {
	for _, c := range []struct {
		idle, spinning int32
		want           bool
	}{
		{0, 0, true}, {0, 1, true}, {0, 2, false}, {0, 3, false},
		{2, 0, true}, {2, 1, false}, {3, 0, true},
	} {
		rt := stillRuntime(4)
		rt.nidle.Store(c.idle)
		rt.nspinning.Store(c.spinning)
		w := rt.workers[0]
		got := w.maySpin()
		if got != c.want {
			t.Errorf("idle %d, spinning %d: maySpin = %t, want %t",
				c.idle, c.spinning, got, c.want)
		}
		wantN := c.spinning
		if c.want {
			wantN++
		}
		if n := rt.nspinning.Load(); n != wantN || w.spinning != got {
			t.Errorf("idle %d, spinning %d: after maySpin %d spin, "+
				"worker spinning %t", c.idle, c.spinning, n, w.spinning)
		}
	}
}

// TestStealBurstWakesIdle hands a worker's enqueue the tasks of one
// reactor turn while another worker is parked on its token. One task
// wakes nobody: the worker runs it. Three are a burst: the worker runs
// the first and wakes the parked one, as the spinner, to steal the rest.
func TestStealBurstWakesIdle(t *testing.T) {
	for _, n := range []int{1, 3} {
		rt := stillRuntime(2)
		w0, w1 := rt.workers[0], rt.workers[1]
		w1.idle(false)
		var wakers []future.Waker
		for range n {
			wakers = append(wakers, idleTask(rt))
		}
		first := wakers[0]
		if h := w0.enqueue(wakers); h != first {
			t.Errorf("%d tasks: enqueue did not return the first", n)
		}
		woken := len(w1.token) == 1
		if woken != (n > 1) {
			t.Errorf("%d tasks: idle worker woken = %t, want %t",
				n, woken, n > 1)
		}
		if woken && (rt.nspinning.Load() != 1 || rt.nidle.Load() != 0) {
			t.Errorf("%d tasks: woken worker not counted as spinning", n)
		}
	}
}

// TestParkNoStealIgnoresRings: a worker that may not steal does not count
// other workers' rings as work, so it parks instead of looking again.
func TestParkNoStealIgnoresRings(t *testing.T) {
	rt := stillRuntime(2)
	rt.workers[1].ring.push(idleTask(rt))
	if !rt.workers[0].hasWork() {
		t.Error("with stealing on, another worker's ring is not work")
	}
	rt.steal = false
	if rt.workers[0].hasWork() {
		t.Error("with stealing off, another worker's ring is work")
	}
}

// TestTaskSize checks that a task of the spawn benchmark, a JoinHandle
// of a future with no result, fits the allocator's 96-byte size class:
// a field added to every task (a Context of its own, a pointer to the
// worker) moves it to the 112- or 128-byte class, and every spawn then
// allocates, zeroes and has the collector scan the difference.
func TestTaskSize(t *testing.T) {
	if n := unsafe.Sizeof(JoinHandle[struct{}]{}); n > 96 {
		t.Errorf("a JoinHandle[struct{}] is %d bytes; want at most 96", n)
	}
}

// TestPopIntoBatch fills the global queue and takes batches from it into
// an empty ring: the first task is returned, the next ones are on the
// ring in order with their links cleared (a stale link would keep a
// finished task's neighbours alive), and what stays behind is still a
// well-formed queue, even once it has been emptied and pushed to again.
func TestPopIntoBatch(t *testing.T) {
	var g globalQueue
	hs := make([]header, 10)
	push := func(from, to int) {
		for i := from; i < to; i++ {
			hs[i].next = nil
			if !g.push(&hs[i], &hs[i], 1) {
				t.Fatal("push refused")
			}
		}
	}
	push(0, 7)
	next := 0 // the index of the task that should come out next
	for _, max := range []int32{3, 1, 5, 4} {
		var q ring
		want := min(int(max), int(g.n.Load()))
		x := g.popInto(&q, max)
		if x != &hs[next] {
			t.Fatalf("max %d: popInto returned task %p; want task %d", max, x, next)
		}
		if x.next != nil {
			t.Errorf("max %d: the returned task is still linked", max)
		}
		next++
		if got := int(q.len()); got != want-1 {
			t.Fatalf("max %d: %d tasks on the ring; want %d", max, got, want-1)
		}
		for h := q.pop(); h != nil; h = q.pop() {
			if h != &hs[next] {
				t.Fatalf("max %d: task %p on the ring; want task %d", max, h, next)
			}
			if h.next != nil {
				t.Errorf("max %d: task %d on the ring is still linked", max, next)
			}
			next++
		}
		if max == 5 { // the queue is empty now; it must take more
			push(7, 10)
		}
	}
	if next != 10 || g.n.Load() != 0 || g.first != nil || g.last != nil {
		t.Errorf("after the batches: %d tasks out, n = %d, first %p, last %p; want 10, 0, nil, nil",
			next, g.n.Load(), g.first, g.last)
	}
}

// TestParkForgetsLastTask parks a worker whose Context still names the
// task it polled last: once it is parked (here: told to stop, since the
// runtime is closing), its Context must not keep that task reachable.
func TestParkForgetsLastTask(t *testing.T) {
	rt := stillRuntime(1)
	rt.closing.Store(true)
	w := rt.workers[0]
	w.cx = *future.NewContext(idleTask(rt))
	w.park()
	if wk := w.cx.Waker(); wk != nil {
		t.Errorf("after park, the worker's Context holds %v; want nil", wk)
	}
}
