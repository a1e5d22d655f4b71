package sched_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

// TestParkNoStealSleeps runs a runtime that does not steal, with one
// worker's ring holding a task it is too busy to run. The other worker
// may not take it: it must park, not look again and again. A hook counts
// how often a worker about to park found work and looked again; the busy
// task holds its worker until that count reaches 1000 or 200ms pass.
func TestParkNoStealSleeps(t *testing.T) {
	var aborts atomic.Int64
	rt, err := sched.NewHooked(sched.Config{Workers: 2, NoSteal: true},
		sched.Hooks{ParkAbort: func() { aborts.Add(1) }})
	if err != nil {
		t.Skip(err)
	}
	defer shutdown(t, rt)
	looks, err := blockOn(t, rt, future.Func[int64](
		func(cx *future.Context) future.Poll[int64] {
			// Two children: the second pushes the first from the
			// LIFO slot to the ring, and wakes the idle worker.
			sched.SpawnFrom(cx, future.Ready(0))
			sched.SpawnFrom(cx, future.Ready(0))
			base := aborts.Load()
			computeUntil(func() bool { return aborts.Load()-base >= 1000 },
				200*time.Millisecond)
			return future.Done(aborts.Load() - base)
		}), "the busy task never finished")
	if err != nil {
		t.Fatal(err)
	}
	if looks > 10 {
		t.Errorf("an idle worker that may not steal looked again %d "+
			"times instead of parking", looks)
	}
}

// TestShutdownStopsLIFO leaves a task in a worker's LIFO slot when the
// worker stops: a task spawns it with SpawnFrom and then computes until
// Shutdown has begun. Shutdown must cancel it like any other.
func TestShutdownStopsLIFO(t *testing.T) {
	rt := newRT(t, 2)
	child := count(never[int]())
	var childH *sched.JoinHandle[int]
	started := make(chan struct{})
	sched.Spawn(rt, future.Func[int](func(cx *future.Context) future.Poll[int] {
		childH = sched.SpawnFrom[int](cx, child)
		close(started)
		computeUntil(rt.Closing, 2*stallLimit)
		return future.Done(0)
	}))
	await(t, started, nil, "the parent task never ran")
	if err := shutdown(t, rt); err != nil {
		t.Fatal(err)
	}
	if _, err := childH.Result(); !errors.Is(err, sched.ErrShutdown) {
		t.Errorf("task left in the LIFO slot = %v, want ErrShutdown", err)
	}
	if n := child.cancels.Load(); n != 1 {
		t.Errorf("its Cancel ran %d times, want 1", n)
	}
}

// TestJoinRecheckComplete makes a task complete at the worst moment for
// the JoinHandle's Poll: after it stored its waker and before it sets
// joinWaker. A hook in Poll lets the task finish there. The task's
// finish saw no joinWaker and woke nobody, so Poll must see complete and
// return Done; Pending would be a wake-up lost for good.
func TestJoinRecheckComplete(t *testing.T) {
	var (
		armed  atomic.Bool
		wake   atomic.Pointer[future.Waker]
		target *sched.JoinHandle[int]
	)
	rt, err := sched.NewHooked(sched.Config{Workers: 1}, sched.Hooks{
		JoinWaiter: func() {
			if armed.Swap(false) {
				(*wake.Load()).Wake()
				waitFor(t, func() bool {
					_, err := target.Result()
					return err == nil
				}, "the task did not finish")
			}
		}})
	if err != nil {
		t.Skip(err)
	}
	defer shutdown(t, rt)
	polled := make(chan struct{})
	target = sched.Spawn(rt, future.Func[int](func(cx *future.Context) future.Poll[int] {
		if wake.Load() != nil {
			return future.Done(7)
		}
		wk := cx.Waker()
		wake.Store(&wk)
		close(polled)
		return future.Pending[int]()
	}))
	await(t, polled, nil, "the task was never polled")
	armed.Store(true)
	var cw countWaker
	p := target.Poll(future.NewContext(&cw))
	if !p.IsDone() {
		t.Fatalf("Poll = Pending for a task that completed during it, "+
			"and its waker was called %d times: a lost wake-up", cw.n.Load())
	}
}
