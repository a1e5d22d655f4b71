package sched_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

// TestAbortQueued aborts a task that is still on the global queue behind
// a busy worker: it is never polled, its Cancel runs once, and its handle
// reports ErrAborted.
func TestAbortQueued(t *testing.T) {
	rt := newRT(t, 1)
	gates := hold(t, rt, 1)
	c := count(never[int]())
	h := sched.Spawn[int](rt, c)
	h.Abort()
	release(gates)
	if _, err := join(t, rt, h, "an aborted queued task never finished"); !errors.Is(err, sched.ErrAborted) {
		t.Errorf("Result = %v, want ErrAborted", err)
	}
	if p, n := c.polls.Load(), c.cancels.Load(); p != 0 || n != 1 {
		t.Errorf("%d polls and %d cancels, want 0 and 1", p, n)
	}
}

// inPoll is a future whose polls tell entered and then wait for proceed;
// the last one is done with done (pending if done is negative).
type inPoll struct {
	entered chan struct{}
	proceed chan struct{}
	done    int
}

func (f *inPoll) Poll(*future.Context) future.Poll[int] {
	close(f.entered)
	<-f.proceed
	if f.done < 0 {
		return future.Pending[int]()
	}
	return future.Done(f.done)
}

// TestAbortRunning aborts a task while a worker is inside its poll. The
// poll runs to its end; if it returned Pending, the task is then
// cancelled (ErrAborted, one Cancel, no more polls), and if it returned
// Done, the task keeps its value.
func TestAbortRunning(t *testing.T) {
	for _, done := range []int{-1, 5} {
		rt := newRT(t, 2)
		f := &inPoll{entered: make(chan struct{}), proceed: make(chan struct{}), done: done}
		c := count[int](f)
		h := sched.Spawn[int](rt, c)
		await(t, f.entered, nil, "the task was never polled")
		h.Abort()
		h.Abort() // twice is the same as once
		close(f.proceed)
		v, err := join(t, rt, h, "an aborted running task never finished")
		if done < 0 {
			if !errors.Is(err, sched.ErrAborted) || c.cancels.Load() != 1 {
				t.Errorf("aborted in a pending poll: %v, %d cancels; want ErrAborted, 1", err, c.cancels.Load())
			}
		} else if v != done || err != nil || c.cancels.Load() != 0 {
			t.Errorf("aborted in its last poll: %d, %v, %d cancels; want %d, nil, 0", v, err, c.cancels.Load(), done)
		}
		if p, l := c.polls.Load(), c.late.Load(); p != 1 || l != 0 {
			t.Errorf("%d polls (%d late), want 1", p, l)
		}
	}
}

// TestAbortCompleted aborts a finished task: nothing changes.
func TestAbortCompleted(t *testing.T) {
	rt := newRT(t, 2)
	c := count(future.Ready(9))
	h := sched.Spawn[int](rt, c)
	waitFor(t, func() bool { return c.done.Load() }, "a Ready task never finished")
	waitFor(t, func() bool { _, err := h.Result(); return err == nil }, "a done task's handle has no result")
	h.Abort()
	if v, err := h.Result(); v != 9 || err != nil {
		t.Errorf("Result after Abort = %d, %v; want 9, nil", v, err)
	}
	if n := c.cancels.Load(); n != 0 {
		t.Errorf("Abort of a finished task ran Cancel %d times", n)
	}
}

// TestAbortConcurrent aborts tasks from many goroutines at once: tasks
// that pend without waking, and tasks that wake themselves all the time
// (so that aborts race with their polls). Every one ends ErrAborted with
// exactly one Cancel and no poll after it.
func TestAbortConcurrent(t *testing.T) {
	const tasks = 200
	reps := 10
	if raceEnabled {
		reps = 3
	}
	for _, workers := range []int{1, 2, 4} {
		for range reps {
			rt := newRT(t, workers)
			cs := make([]*counted[int64], tasks)
			hs := make([]*sched.JoinHandle[int64], tasks)
			for i := range cs {
				var f future.Future[int64] = never[int64]()
				if i%2 == 1 {
					f = new(spinner)
				}
				cs[i] = count(f)
				hs[i] = sched.Spawn[int64](rt, cs[i])
			}
			start := make(chan struct{})
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Go(func() {
					<-start
					for i := range hs {
						hs[(i+g*tasks/8)%tasks].Abort()
					}
				})
			}
			close(start)
			wg.Wait()
			for i, h := range hs {
				if _, err := join(t, rt, h, "an aborted task never finished"); !errors.Is(err, sched.ErrAborted) {
					t.Fatalf("%d workers: task %d: %v, want ErrAborted", workers, i, err)
				}
				c := cs[i]
				if n, l := c.cancels.Load(), c.late.Load(); n != 1 || l != 0 {
					t.Fatalf("%d workers: task %d: %d cancels, %d polls after Cancel; want 1 and 0", workers, i, n, l)
				}
			}
		}
	}
}
