package sched_test

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

// panicAfter is a future that yields n times and then panics with v.
func panicAfter(n int, v any) future.Future[int] {
	i := 0
	return future.Func[int](func(cx *future.Context) future.Poll[int] {
		if i++; i > n {
			panic(v)
		}
		cx.Waker().Wake()
		return future.Pending[int]()
	})
}

// runMany spawns n tasks that yield once and waits for them all.
func runMany(t *testing.T, rt *sched.Runtime, n int) {
	t.Helper()
	hs := make([]*sched.JoinHandle[int], n)
	for i := range hs {
		hs[i] = sched.Spawn(rt, future.Yield(1, i))
	}
	for i, h := range hs {
		if v, err := join(t, rt, h, "a task after a panic never finished"); v != i || err != nil {
			t.Fatalf("task %d: %d, %v", i, v, err)
		}
	}
}

// TestPanicInTask panics in tasks, in their first poll and in a later
// one, spawned from outside and from inside a task: each handle reports a
// *executor.PanicError with the value and a stack, and the runtime runs
// a thousand more tasks after.
func TestPanicInTask(t *testing.T) {
	for _, workers := range []int{1, 2} {
		rt := newRT(t, workers)
		for _, n := range []int{0, 3} {
			v := fmt.Sprintf("boom after %d", n)
			_, err := join(t, rt, sched.Spawn(rt, panicAfter(n, v)), "a panicking task never finished")
			checkPanic(t, err, v)
			var inner *sched.JoinHandle[int]
			outer := sched.Spawn(rt, future.Func[future.Result[int]](func(cx *future.Context) future.Poll[future.Result[int]] {
				if inner == nil {
					inner = sched.SpawnFrom(cx, panicAfter(n, v))
				}
				return inner.Poll(cx)
			}))
			r, err := join(t, rt, outer, "a task awaiting a panicking task never finished")
			if err != nil {
				t.Fatalf("the awaiting task itself failed: %v", err)
			}
			checkPanic(t, r.Err, v)
		}
		runMany(t, rt, 1000)
	}
}

func checkPanic(t *testing.T, err error, v string) {
	t.Helper()
	var pe *executor.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *executor.PanicError", err)
	}
	if pe.Value != v || !strings.Contains(string(pe.Stack), "panicAfter") {
		t.Fatalf("PanicError{Value: %v, Stack: %d bytes}: want value %q and a stack through panicAfter", pe.Value, len(pe.Stack), v)
	}
}

// rendezvous is a task that blocks its worker inside Poll until n tasks
// are all inside their Poll at once. n of them finish only if n workers
// are alive to poll them together.
type rendezvous struct {
	arrived *atomic.Int32
	all     chan struct{}
	n       int32
}

func (r rendezvous) Poll(*future.Context) future.Poll[struct{}] {
	if r.arrived.Add(1) == r.n {
		close(r.all)
	}
	<-r.all
	return future.Done(struct{}{})
}

// TestGoexitInTask calls runtime.Goexit in tasks: each handle reports
// executor.ErrGoexit, and the worker that ran it carries on in a new
// goroutine: afterwards, as many tasks as there are workers can all be
// inside a poll at once, and every worker polls again.
func TestGoexitInTask(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		rt := newRT(t, workers)
		for range 4 * workers {
			h := sched.Spawn(rt, future.Func[int](func(*future.Context) future.Poll[int] {
				runtime.Goexit()
				return future.Done(0)
			}))
			if _, err := join(t, rt, h, "a task that called Goexit never finished"); !errors.Is(err, executor.ErrGoexit) {
				t.Fatalf("%d workers: %v, want ErrGoexit", workers, err)
			}
		}
		before := rt.Stats().Polls
		var arrived atomic.Int32
		all := make(chan struct{})
		var hs []*sched.JoinHandle[struct{}]
		for range workers {
			hs = append(hs, sched.Spawn[struct{}](rt, rendezvous{&arrived, all, int32(workers)}))
		}
		await(t, all, nil, fmt.Sprintf("%d tasks could not all be in a poll at once: %d of %d workers alive after Goexit",
			workers, arrived.Load(), workers))
		for _, h := range hs {
			join(t, rt, h, "a rendezvous task never finished")
		}
		after := rt.Stats().Polls
		for i := range after {
			if after[i] <= before[i] {
				t.Errorf("%d workers: worker %d polled nothing after the Goexits (%d before, %d after)",
					workers, i, before[i], after[i])
			}
		}
		runMany(t, rt, 100)
	}
}

// panicWaker panics when woken, and counts the times it was.
type panicWaker struct{ n atomic.Int32 }

func (p *panicWaker) Wake() {
	p.n.Add(1)
	panic("waker boom")
}

// wakeFromWorkers has rt's workers call wk twice: when a task awaited
// from outside with wk finishes, and when a timer polled with it fires;
// calls says how many times wk has been called. After each call every
// worker must still serve: hold needs all of them at once.
func wakeFromWorkers(t *testing.T, rt *sched.Runtime, wk future.Waker,
	calls func() int32) {
	t.Helper()
	cx := future.NewContext(wk)
	var p future.Promise[int]
	h := sched.Spawn[int](rt, &p)
	if h.Poll(cx).IsDone() {
		t.Fatal("JoinHandle done before its promise was set")
	}
	p.Set(1)
	waitFor(t, func() bool { return calls() == 1 }, "the JoinHandle's waker was never called")
	release(hold(t, rt, rt.Workers()))

	if rt.Sleep(time.Millisecond).Poll(cx).IsDone() {
		t.Fatal("a 1ms sleep done at once")
	}
	waitFor(t, func() bool { return calls() == 2 }, "the timer's waker was never called")
	release(hold(t, rt, rt.Workers()))
}

// TestWakerPanic polls a JoinHandle and a timer from outside the runtime
// with a waker that panics. The runtime calls it from a worker (when the
// task finishes, when the timer fires): the worker carries on, the
// runtime keeps running tasks, and Shutdown reports the panics.
func TestWakerPanic(t *testing.T) {
	rt := newRT(t, 2)
	var pw panicWaker
	wakeFromWorkers(t, rt, &pw, pw.n.Load)

	runMany(t, rt, 1000)
	err := shutdown(t, rt)
	if err == nil || strings.Count(err.Error(), "waker boom") != 2 {
		t.Errorf("Shutdown = %v, want both panics of the waker reported", err)
	}
}

// TestWakerPanicAtShutdown leaves a timer pending, polled from outside
// the runtime with a waker that panics, and a JoinHandle awaited the same
// way: Shutdown wakes both, and reports both panics instead of passing
// them on to its caller.
func TestWakerPanicAtShutdown(t *testing.T) {
	rt := newRT(t, 2)
	var pw panicWaker
	cx := future.NewContext(&pw)
	if rt.Sleep(time.Hour).Poll(cx).IsDone() {
		t.Fatal("a 1-hour sleep done at once")
	}
	if sched.Spawn(rt, never[int]()).Poll(cx).IsDone() {
		t.Fatal("a task that never ends is done")
	}
	var err error
	func() {
		defer func() {
			if v := recover(); v != nil {
				t.Errorf("Shutdown panicked: %v", v)
			}
		}()
		err = rt.Shutdown()
	}()
	if n := pw.n.Load(); n != 2 {
		t.Errorf("the waker was called %d times, want 2", n)
	}
	if err == nil || strings.Count(err.Error(), "waker boom") != 2 {
		t.Errorf("Shutdown = %v, want both panics of the waker reported", err)
	}
}
