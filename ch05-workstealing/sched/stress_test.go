package sched_test

import (
	"sync/atomic"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch05-workstealing/schedtest"
)

// stressTasks is how many tasks TestStressSpawnFromOneTask spawns: the
// million the chapter promises, or fewer under -race, which is about ten
// times slower per access.
func stressTasks() int {
	if raceEnabled {
		return 50_000
	}
	return 1_000_000
}

// tally is a task that counts its own polls in its slot of runs, and
// counts itself done in left; the last one wakes the root.
type tally struct {
	s *spawner
	i int32
}

func (l tally) Poll(*future.Context) future.Poll[struct{}] {
	l.s.runs[l.i].Add(1)
	if l.s.left.Add(-1) == 0 {
		l.s.waker.Wake()
	}
	return future.Done(struct{}{})
}

// spawner is the root task: its first poll spawns every tally from inside
// the runtime, so that they all start on one worker, and it is done once
// every tally is.
type spawner struct {
	runs    []atomic.Int32
	left    atomic.Int64
	waker   future.Waker
	spawned bool
}

func (s *spawner) Poll(cx *future.Context) future.Poll[int] {
	if !s.spawned {
		s.spawned = true
		s.waker = cx.Waker()
		s.left.Store(int64(len(s.runs)) + 1)
		for i := range s.runs {
			sched.SpawnFrom[struct{}](cx, tally{s, int32(i)})
		}
		s.left.Add(-1) // the root's own share: now the last tally may wake it
	}
	if s.left.Load() == 0 {
		return future.Done(len(s.runs))
	}
	return future.Pending[int]()
}

// TestStressSpawnFromOneTask spawns a million tasks from inside one task,
// the worst imbalance (every task starts in one worker's queues), and
// checks that each of them ran exactly once. It logs how many each worker
// polled and stole: with two workers or more, stealing usually spreads
// the work, but on a loaded machine one worker may well do it all, so
// the test asserts only that the counts add up. With stealing off
// (NewNoSteal), the other workers get only what overflows to the global
// queue, and nothing may be counted as stolen.
func TestStressSpawnFromOneTask(t *testing.T) {
	for _, c := range []struct {
		workers int
		steal   bool
	}{{1, true}, {2, true}, {4, true}, {2, false}} {
		workers := c.workers
		mk := sched.New
		if !c.steal {
			mk = sched.NewNoSteal
		}
		rt := schedtest.New(t, workers, mk)
		s := &spawner{runs: make([]atomic.Int32, stressTasks())}
		n, err := blockOn[int](t, rt, s, "the spawning task never finished: a task was lost")
		if err != nil || n != len(s.runs) {
			t.Fatalf("%d workers: BlockOn = %d, %v; want %d, nil", workers, n, err, len(s.runs))
		}
		bad := 0
		for i := range s.runs {
			if r := s.runs[i].Load(); r != 1 {
				if bad++; bad <= 5 {
					t.Errorf("%d workers: task %d ran %d times, want 1", workers, i, r)
				}
			}
		}
		if bad > 0 {
			t.Fatalf("%d workers: %d of %d tasks did not run exactly once", workers, bad, len(s.runs))
		}
		st := rt.Stats()
		// The root is polled once or twice (again if the last task
		// finished after its first poll returned), each task once.
		total, stolen := sum(st.Polls), sum(st.Stolen)
		if lo, hi := uint64(len(s.runs))+1, uint64(len(s.runs))+2; total < lo || total > hi {
			t.Errorf("%d workers: %d polls in all, want %d to %d", workers, total, lo, hi)
		}
		if !c.steal && stolen != 0 {
			t.Errorf("%d workers, stealing off: %d tasks stolen", workers, stolen)
		}
		if stolen > total {
			t.Errorf("%d workers: %d tasks stolen, more than the %d polled", workers, stolen, total)
		}
		if len(st.Polls) != workers || len(st.Stolen) != workers || len(st.Parks) != workers {
			t.Errorf("Stats has %d/%d/%d entries, want %d each", len(st.Polls), len(st.Stolen), len(st.Parks), workers)
		}
		t.Logf("%d workers (stealing %t), %d tasks: polls %v, stolen %v, parks %v", workers, c.steal, len(s.runs), st.Polls, st.Stolen, st.Parks)
	}
}
