package sched_test

import (
	"strings"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch05-workstealing/internal/compare"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

// TestSpawnOneAllocation runs the spawn benchmark's workload, n tasks
// spawned with SpawnFrom from one task, and counts the allocations of
// the whole program while it runs: one per task, and a few for the
// spawning task and BlockOn. A second allocation per task (a Context,
// a closure, a wrapper) would double the count.
func TestSpawnOneAllocation(t *testing.T) {
	const n = 10_000
	rt := newRT(t, 2)
	allocs := testing.AllocsPerRun(5, func() {
		if err := compare.Spawn(rt, n); err != nil {
			t.Fatal(err)
		}
	})
	if allocs < n || allocs > n+n/10 {
		t.Errorf("%v allocations to spawn and run %d tasks; want %d and a few", allocs, n, n)
	}
}

// TestSpawnFromOutsidePoll calls SpawnFrom with Contexts that are not
// those of a poll under way: one that no task made, and a task's own,
// kept and used after its poll returned. Both must panic with the
// message, rather than queue the task on a worker that is not running
// it (on the worker it ran on last, a data race with that worker).
func TestSpawnFromOutsidePoll(t *testing.T) {
	rt := newRT(t, 2)
	var kept *future.Context
	keep := future.Func[int](func(cx *future.Context) future.Poll[int] {
		kept = future.NewContext(cx.Waker()) // the waker outlives the poll
		return future.Done(1)
	})
	if _, err := blockOn(t, rt, keep, "the task that keeps its waker never finished"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		cx   *future.Context
	}{
		{"no task's Context", future.NewContext(future.NoopWaker)},
		{"a finished task's waker", kept},
	} {
		func() {
			defer func() {
				v := recover()
				if s, ok := v.(string); !ok || !strings.Contains(s, "outside a task's poll") {
					t.Errorf("%s: SpawnFrom panicked with %v; want the outside-a-poll message", c.name, v)
				}
			}()
			sched.SpawnFrom(c.cx, future.Ready(0))
		}()
	}
}
