package executor_test

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
)

// countWaker counts its wakes; it is safe to wake from any goroutine.
type countWaker struct{ n atomic.Int32 }

func (w *countWaker) Wake() { w.n.Add(1) }

// TestSleepDeadlineOrder spawns sleepers in one order and checks that they
// finish in deadline order, each exactly when its deadline passes.
func TestSleepDeadlineOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := executor.New()
		start := time.Now()
		var order []time.Duration
		for _, d := range []time.Duration{30, 10, 20} {
			d *= time.Millisecond
			executor.Spawn(ex, future.Map(executor.Sleep(d), func(struct{}) struct{} {
				if got := time.Since(start); got != d {
					t.Errorf("Sleep(%v) finished after %v", d, got)
				}
				order = append(order, d)
				return struct{}{}
			}))
		}
		ex.Run()
		want := []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond}
		if len(order) != 3 || order[0] != want[0] || order[1] != want[1] || order[2] != want[2] {
			t.Errorf("finished in order %v, want %v", order, want)
		}
	})
}

// TestSleepDeadlineFixedAtCall checks that the deadline counts from the
// call to Sleep, not from the first poll.
func TestSleepDeadlineFixedAtCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		s := executor.Sleep(10 * time.Millisecond)
		time.Sleep(4 * time.Millisecond)
		executor.BlockOn(s)
		if d := time.Since(start); d != 10*time.Millisecond {
			t.Errorf("done %v after Sleep was called, want 10ms", d)
		}
	})
}

// TestSleepCancel checks that Cancel stops the timer: the waker is never
// woken, even long after the deadline, and no goroutine is left behind.
func TestSleepCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &countWaker{}
		s := executor.Sleep(10 * time.Millisecond)
		if s.Poll(future.NewContext(w)).IsDone() {
			t.Fatal("Sleep(10ms) done at once")
		}
		future.Cancel(s)
		future.Cancel(s) // twice is harmless
		time.Sleep(time.Hour)
		synctest.Wait()
		if n := w.n.Load(); n != 0 {
			t.Errorf("cancelled Sleep woke its waker %d times", n)
		}
	})
}

// TestSleepLatestWaker checks rule 2: the timer wakes the waker of the
// latest poll, and only that one.
func TestSleepLatestWaker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first, second := &countWaker{}, &countWaker{}
		s := executor.Sleep(10 * time.Millisecond)
		s.Poll(future.NewContext(first))
		s.Poll(future.NewContext(second))
		time.Sleep(10 * time.Millisecond)
		synctest.Wait()
		if first.n.Load() != 0 || second.n.Load() != 1 {
			t.Errorf("wakes: first %d, second %d; want 0, 1", first.n.Load(), second.n.Load())
		}
		if !s.Poll(future.NewContext(second)).IsDone() {
			t.Error("Sleep not done after its deadline")
		}
	})
}

// TestSleepZeroAndPollAfterDone checks that a Sleep with no time left is
// done on its first poll, and that a second poll panics (rule 3).
func TestSleepZeroAndPollAfterDone(t *testing.T) {
	s := executor.Sleep(0)
	cx := future.NewContext(future.NoopWaker)
	if !s.Poll(cx).IsDone() {
		t.Fatal("Sleep(0) not done on its first poll")
	}
	defer func() {
		if recover() == nil {
			t.Error("polling a finished Sleep did not panic")
		}
	}()
	s.Poll(cx)
}
