package sched_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

// TestBlockOnShutdown blocks a goroutine in BlockOn on a task that never
// finishes, once with the task pending after a poll and once with it
// still on the global queue behind busy workers, and shuts the runtime
// down from another goroutine: BlockOn returns ErrShutdown, and the
// task's future is cancelled once.
func TestBlockOnShutdown(t *testing.T) {
	for _, queued := range []bool{false, true} {
		rt := newRT(t, 2)
		var gates []*gate
		if queued {
			gates = hold(t, rt, 2)
		}
		c := count(never[int]())
		done := make(chan struct{})
		var err error
		go func() {
			defer close(done)
			_, err = sched.BlockOn[int](rt, c)
		}()
		if queued {
			// Shutdown must not wait for the gates: let them go once it
			// has begun, so that the workers stop.
			go func() {
				release(gates)
			}()
		} else {
			waitFor(t, func() bool { return c.polls.Load() > 0 }, "BlockOn's task was never polled")
		}
		if err := shutdown(t, rt); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		await(t, done, nil, "BlockOn did not return after Shutdown")
		if !errors.Is(err, sched.ErrShutdown) {
			t.Errorf("queued=%t: BlockOn = %v, want ErrShutdown", queued, err)
		}
		if n := c.cancels.Load(); n != 1 {
			t.Errorf("queued=%t: Cancel ran %d times, want once", queued, n)
		}
	}
}

// TestShutdownConcurrent calls Shutdown from several goroutines at once
// and again after: every call returns, without error.
func TestShutdownConcurrent(t *testing.T) {
	rt := newRT(t, 2)
	for range 100 {
		sched.Spawn(rt, never[int]())
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- rt.Shutdown() })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	await(t, done, nil, "concurrent Shutdowns did not all return")
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	}
	if err := rt.Shutdown(); err != nil {
		t.Errorf("Shutdown again: %v", err)
	}
}
