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

// TestSpawnBlockingResults awaits blocking functions from a task: a
// value, an error, a panic (a *executor.PanicError) and runtime.Goexit
// (executor.ErrGoexit), and the pool keeps serving after each.
func TestSpawnBlockingResults(t *testing.T) {
	rt := newRT(t, 2)
	errBad := errors.New("bad input")
	cases := []struct {
		name  string
		fn    func() (int, error)
		check func(future.Result[int]) bool
	}{
		{"value", func() (int, error) { return 42, nil },
			func(r future.Result[int]) bool { return r.Value == 42 && r.Err == nil }},
		{"error", func() (int, error) { return 0, errBad },
			func(r future.Result[int]) bool { return errors.Is(r.Err, errBad) }},
		{"panic", func() (int, error) { panic("blocking boom") },
			func(r future.Result[int]) bool {
				var pe *executor.PanicError
				return errors.As(r.Err, &pe) && pe.Value == "blocking boom"
			}},
		{"Goexit", func() (int, error) { runtime.Goexit(); return 0, nil },
			func(r future.Result[int]) bool { return errors.Is(r.Err, executor.ErrGoexit) }},
	}
	for range 3 {
		for _, c := range cases {
			r, err := blockOn(t, rt, sched.SpawnBlocking(rt, c.fn), "a blocking function's result never arrived")
			if err != nil || !c.check(r) {
				t.Errorf("%s: %+v, %v", c.name, r, err)
			}
		}
	}
}

// TestSpawnBlockingBound submits three times as many jobs as the pool
// has goroutines. The first batch waits until all of it is running at
// once, which the pool must allow; no more than the bound ever run at
// once; and every job completes.
func TestSpawnBlockingBound(t *testing.T) {
	rt := newRT(t, 2)
	const n = 3 * sched.BlockingThreads
	var running, peak, arrived atomic.Int32
	full := make(chan struct{})
	fs := make([]future.Future[future.Result[int]], n)
	for i := range fs {
		fs[i] = sched.SpawnBlocking(rt, func() (int, error) {
			r := running.Add(1)
			for p := peak.Load(); r > p && !peak.CompareAndSwap(p, r); p = peak.Load() {
			}
			if i < sched.BlockingThreads {
				if arrived.Add(1) == sched.BlockingThreads {
					close(full)
				}
				<-full
			}
			runtime.Gosched()
			running.Add(-1)
			return i, nil
		})
	}
	all := future.Join(fs...)
	rs, err := blockOn(t, rt, all, "blocking jobs beyond the pool's bound never completed")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if r.Value != i || r.Err != nil {
			t.Errorf("job %d: %+v", i, r)
		}
	}
	if p := peak.Load(); p != sched.BlockingThreads {
		t.Errorf("at most %d jobs ran at once, want exactly the bound %d", p, sched.BlockingThreads)
	}
}

// TestSpawnBlockingGoexitKeepsServing fills the pool with jobs that call
// runtime.Goexit, with more jobs queued behind them: the goroutines that
// end must not take the queue with them.
func TestSpawnBlockingGoexitKeepsServing(t *testing.T) {
	rt := newRT(t, 2)
	gate := make(chan struct{})
	var started sync.WaitGroup
	started.Add(sched.BlockingThreads)
	var first []future.Future[future.Result[int]]
	for range sched.BlockingThreads {
		first = append(first, sched.SpawnBlocking(rt, func() (int, error) {
			started.Done()
			<-gate
			runtime.Goexit()
			return 0, nil
		}))
	}
	allStarted := make(chan struct{})
	go func() { started.Wait(); close(allStarted) }()
	await(t, allStarted, nil, "the pool did not start its bound of jobs")
	later := sched.SpawnBlocking(rt, func() (int, error) { return 7, nil })
	close(gate)
	r, err := blockOn(t, rt, later, "a job queued behind jobs that called Goexit never ran")
	if err != nil || r.Value != 7 || r.Err != nil {
		t.Errorf("queued job: %+v, %v; want 7", r, err)
	}
	for _, f := range first {
		if r, err := blockOn(t, rt, f, "a Goexit job never finished"); err != nil || !errors.Is(r.Err, executor.ErrGoexit) {
			t.Errorf("Goexit job: %+v, %v; want ErrGoexit", r, err)
		}
	}
}

// TestSpawnBlockingShutdown shuts down with one job running and others
// queued: the queued ones are dropped with ErrShutdown, and Shutdown does
// not return before the running one has.
func TestSpawnBlockingShutdown(t *testing.T) {
	rt := newRT(t, 1)
	started, unblock := make(chan struct{}), make(chan struct{})
	var finished atomic.Bool
	var fs []future.Future[future.Result[int]]
	for i := range sched.BlockingThreads + 5 {
		fs = append(fs, sched.SpawnBlocking(rt, func() (int, error) {
			if i == 0 {
				close(started)
				<-unblock
				finished.Store(true)
				return 1, nil
			}
			<-unblock
			return 2, nil
		}))
	}
	await(t, started, nil, "a blocking job never started")
	down := make(chan error, 1)
	go func() { down <- rt.Shutdown() }()
	for _, f := range fs[sched.BlockingThreads:] {
		waitFor(t, func() bool {
			r, ok := doneNow(f)
			if ok && !errors.Is(r.Err, sched.ErrShutdown) {
				t.Errorf("a queued job: %+v, want ErrShutdown", r)
			}
			return ok
		}, "Shutdown did not drop a queued blocking job")
	}
	select {
	case <-down:
		t.Fatal("Shutdown returned while a blocking job was still running")
	default:
	}
	close(unblock)
	var err error
	await(t, chanDone(down, &err), nil, "Shutdown did not return after the running jobs did")
	if err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if !finished.Load() {
		t.Error("Shutdown returned before the running job finished")
	}
}

// TestSpawnBlockingWakerPanic polls a blocking job's future with a waker
// that panics: the pool calls it when the job ends. That must not crash
// the program; Shutdown reports it.
func TestSpawnBlockingWakerPanic(t *testing.T) {
	rt := newRT(t, 1)
	var pw panicWaker
	unblock := make(chan struct{})
	f := sched.SpawnBlocking(rt, func() (int, error) { <-unblock; return 1, nil })
	if f.Poll(future.NewContext(&pw)).IsDone() {
		t.Fatal("a blocked job's future is done")
	}
	close(unblock)
	waitFor(t, func() bool { return pw.n.Load() == 1 }, "the job's waker was never called")
	r, err := blockOn(t, rt, sched.SpawnBlocking(rt, func() (int, error) { return 2, nil }),
		"the pool did not serve a job after a waker panicked")
	if err != nil || r.Value != 2 {
		t.Errorf("next job: %+v, %v; want 2", r, err)
	}
	if err := shutdown(t, rt); err == nil || !strings.Contains(err.Error(), "waker boom") {
		t.Errorf("Shutdown = %v, want the waker's panic reported", err)
	}
}

// TestSpawnBlockingShutdownWakerGoexit shuts down with two jobs queued
// whose futures were polled with a waker that calls runtime.Goexit:
// Shutdown drops them, which calls the waker twice. It must go on with
// the second drop, and return, reporting both Goexits.
func TestSpawnBlockingShutdownWakerGoexit(t *testing.T) {
	rt := newRT(t, 1)
	unblock := make(chan struct{})
	var gw goexitWaker
	var queued []future.Future[future.Result[int]]
	for i := range sched.BlockingThreads + 2 {
		f := sched.SpawnBlocking(rt, func() (int, error) {
			<-unblock
			return 1, nil
		})
		if i >= sched.BlockingThreads {
			if f.Poll(future.NewContext(&gw)).IsDone() {
				t.Fatal("a queued job's future is done")
			}
			queued = append(queued, f)
		}
	}
	down := make(chan error, 1)
	go func() { down <- rt.Shutdown() }()
	waitFor(t, func() bool { return gw.n.Load() == 2 },
		"Shutdown did not drop both queued jobs")
	close(unblock)
	var err error
	await(t, chanDone(down, &err), nil, "Shutdown did not return")
	if err == nil || strings.Count(err.Error(), "runtime.Goexit") != 2 {
		t.Errorf("Shutdown = %v, want both Goexits of the waker reported", err)
	}
	for _, f := range queued {
		if r, ok := doneNow(f); !ok || !errors.Is(r.Err, sched.ErrShutdown) {
			t.Errorf("a queued job: %+v, %v; want ErrShutdown", r, ok)
		}
	}
}
