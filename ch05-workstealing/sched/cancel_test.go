package sched_test

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

// badCancel is a future that is pending for ever and whose Cancel runs
// user code that does not return: it panics, or calls runtime.Goexit.
type badCancel struct {
	goexit  bool
	polled  chan struct{}
	once    sync.Once
	cancels atomic.Int32
}

func newBadCancel(goexit bool) *badCancel {
	return &badCancel{goexit: goexit, polled: make(chan struct{})}
}

func (b *badCancel) Poll(*future.Context) future.Poll[int] {
	b.once.Do(func() { close(b.polled) })
	return future.Pending[int]()
}

func (b *badCancel) Cancel() {
	b.cancels.Add(1)
	if b.goexit {
		runtime.Goexit()
	}
	panic("cancel boom")
}

// abortBadCancel aborts a task whose Cancel panics, or calls
// runtime.Goexit, checks that every worker still serves (hold needs all
// of them at once), and returns the task's error.
func abortBadCancel(t *testing.T, goexit bool) error {
	rt := newRT(t, 2)
	b := newBadCancel(goexit)
	h := sched.Spawn[int](rt, b)
	await(t, b.polled, nil, "the task was never polled")
	h.Abort()
	_, err := join(t, rt, h, "the aborted task never finished")
	release(hold(t, rt, rt.Workers()))
	return err
}

// TestAbortCancelPanics aborts a task whose Cancel panics: the task is
// done with a *PanicError, as if its Poll had panicked, and the worker
// that cancelled it goes on serving.
func TestAbortCancelPanics(t *testing.T) {
	err := abortBadCancel(t, false)
	var pe *executor.PanicError
	if !errors.As(err, &pe) || pe.Value != "cancel boom" {
		t.Fatalf("aborted task = %v, want the PanicError of its Cancel", err)
	}
}

// TestAbortCancelGoexit aborts a task whose Cancel calls runtime.Goexit:
// the task is done with executor.ErrGoexit, and every worker still
// serves.
func TestAbortCancelGoexit(t *testing.T) {
	if err := abortBadCancel(t, true); !errors.Is(err, executor.ErrGoexit) {
		t.Fatalf("aborted task = %v, want ErrGoexit", err)
	}
}

// TestShutdownCancelPanics shuts down a runtime whose pending tasks'
// futures alternate: one whose Cancel panics, or calls runtime.Goexit,
// and one that cancels well. Shutdown returns, to its caller, having
// stopped every task: each Cancel ran once, the bad ones' tasks are done
// with a *PanicError or ErrGoexit, the others' with ErrShutdown.
func TestShutdownCancelPanics(t *testing.T) {
	for _, goexit := range []bool{false, true} {
		rt := newRT(t, 2)
		var bads []*badCancel
		var badHs []*sched.JoinHandle[int]
		var goods []*counted[int]
		var goodHs []*sched.JoinHandle[int]
		for range 4 {
			b := newBadCancel(goexit)
			bads, badHs = append(bads, b), append(badHs, sched.Spawn[int](rt, b))
			c := count(never[int]())
			goods, goodHs = append(goods, c), append(goodHs, sched.Spawn[int](rt, c))
		}
		for _, b := range bads {
			await(t, b.polled, nil, "a task was never polled")
		}
		for _, c := range goods {
			waitFor(t, func() bool { return c.polls.Load() > 0 }, "a task was never polled")
		}
		var panicked any
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer func() { panicked = recover() }()
			rt.Shutdown()
		}()
		await(t, done, nil, "Shutdown did not return")
		if panicked != nil {
			t.Fatalf("Shutdown panicked: %v", panicked)
		}
		for i, h := range badHs {
			_, err := h.Result()
			var pe *executor.PanicError
			switch {
			case goexit && !errors.Is(err, executor.ErrGoexit):
				t.Errorf("task %d whose Cancel calls Goexit = %v, want ErrGoexit", i, err)
			case !goexit && !errors.As(err, &pe):
				t.Errorf("task %d whose Cancel panics = %v, want a PanicError", i, err)
			}
			if n := bads[i].cancels.Load(); n != 1 {
				t.Errorf("task %d: Cancel called %d times, want 1", i, n)
			}
		}
		for i, h := range goodHs {
			if _, err := h.Result(); !errors.Is(err, sched.ErrShutdown) {
				t.Errorf("task %d = %v, want ErrShutdown", i, err)
			}
			if n := goods[i].cancels.Load(); n != 1 {
				t.Errorf("task %d: Cancel called %d times, want 1", i, n)
			}
		}
		if _, err := rt.Reactor().Register(0); err == nil ||
			!strings.Contains(err.Error(), "closed") {
			t.Errorf("after Shutdown, Register = %v, want the reactor closed", err)
		}
	}
}

// goexitWaker is a waker whose Wake calls runtime.Goexit.
type goexitWaker struct{ n atomic.Int32 }

func (g *goexitWaker) Wake() {
	g.n.Add(1)
	runtime.Goexit()
}

// TestWakerGoexitKeepsWorker awaits a task from outside the runtime, and
// a timer, with a waker that calls runtime.Goexit. The worker that
// finishes the task, and the one that fires the timer, call it. Each
// worker must go on, on a new goroutine, as after a task's Goexit: hold
// needs all of them at once. Shutdown reports both calls.
func TestWakerGoexitKeepsWorker(t *testing.T) {
	rt := newRT(t, 2)
	var gw goexitWaker
	wakeFromWorkers(t, rt, &gw, gw.n.Load)

	err := shutdown(t, rt)
	if err == nil || strings.Count(err.Error(), "runtime.Goexit") != 2 {
		t.Errorf("Shutdown = %v, want both Goexits of the waker reported", err)
	}
}

// lateWaker, once woken, waits until Shutdown has begun and then panics.
type lateWaker struct {
	rt *sched.Runtime
	n  atomic.Int32
}

func (l *lateWaker) Wake() {
	l.n.Add(1)
	for !l.rt.Closing() {
		runtime.Gosched()
	}
	panic("late boom")
}

// TestWakerGoexitRestReported has a worker call two wakers in one batch:
// two timers, due at once, polled from outside while every worker is
// held. The first waker calls runtime.Goexit, so the second runs on a
// goroutine of its own; it panics only once Shutdown has begun. Shutdown
// must wait for it and report both.
func TestWakerGoexitRestReported(t *testing.T) {
	rt := newRT(t, 1)
	var gw goexitWaker
	lw := &lateWaker{rt: rt}
	gs := hold(t, rt, rt.Workers())
	mustPend := func(wk future.Waker) {
		if rt.Sleep(1).Poll(future.NewContext(wk)).IsDone() {
			t.Fatal("a sleep done at once")
		}
	}
	mustPend(&gw)
	mustPend(lw)
	release(gs)
	waitFor(t, func() bool { return lw.n.Load() == 1 },
		"the second timer's waker was never called")
	err := shutdown(t, rt)
	if err == nil || !strings.Contains(err.Error(), "runtime.Goexit") ||
		!strings.Contains(err.Error(), "late boom") {
		t.Errorf("Shutdown = %v, want the Goexit and the late panic", err)
	}
}
