package main

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"

	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// TestTaskSetSwapRemove holds the book's server's set of connection
// tasks to its rules: each task's slot is its index in the slice, after
// any order of removals (each moves the last entry into the hole); a
// second removal of a task changes nothing; and the count the shutdown
// waits on follows the slice. It drives removeLocked directly, with
// tasks that have no connection.
func TestTaskSetSwapRemove(t *testing.T) {
	const n = 50
	s := &bookServer{connSet: newConnSet(n)}
	tasks := make([]*connTask, n)
	s.mu.Lock()
	for i := range tasks {
		tasks[i] = &connTask{s: s, slot: len(s.tasks)}
		s.tasks = append(s.tasks, tasks[i])
		s.addLocked()
	}
	s.mu.Unlock()
	rng := rand.New(rand.NewPCG(1, 2))
	for k, i := range rng.Perm(n) {
		s.mu.Lock()
		s.removeLocked(tasks[i])
		s.removeLocked(tasks[i]) // again: nothing
		for j, u := range s.tasks {
			if u.slot != j {
				t.Fatalf("after %d removals: the task at index %d says "+
					"slot %d", k+1, j, u.slot)
			}
			if u == tasks[i] {
				t.Fatalf("a removed task is still in the set at %d", j)
			}
		}
		if s.n != len(s.tasks) || s.n != n-k-1 {
			t.Fatalf("after %d removals: count %d, slice %d, want %d",
				k+1, s.n, len(s.tasks), n-k-1)
		}
		s.mu.Unlock()
	}
}

// TestTaskSetGrowsByDoubling holds appendTask to doubling: a set grown to
// 20,000 tasks one at a time leaves old arrays of at most its final
// capacity to the collector (append, which grows a large slice by a
// quarter, leaves about four times the final length), and keeps every
// task in order.
func TestTaskSetGrowsByDoubling(t *testing.T) {
	const n = 20000
	var ts []*connTask
	tasks := make([]connTask, n)
	behind, last := 0, 0
	for i := range tasks {
		ts = appendTask(ts, &tasks[i])
		if cap(ts) != last {
			behind += last
			last = cap(ts)
		}
	}
	if behind > last || last > 2*n {
		t.Errorf("grown to %d: %d pointers left behind, final capacity %d; "+
			"want at most the final capacity, and it at most %d",
			n, behind, last, 2*n)
	}
	for i, u := range ts {
		if u != &tasks[i] {
			t.Fatalf("index %d: not the task appended %d-th", i, i)
		}
	}
}

// TestAddAllocatesNothing holds the book's server's add to allocating
// nothing of its own when debug logging is off: the accepted line's
// arguments box the peer's address (32 B of garbage per connection,
// which raises a server's resident memory) unless add asks the logger
// first. The set has room, and the spawn is a stub, so that only add's
// own allocations count.
func TestAddAllocatesNothing(t *testing.T) {
	const n = 100
	s, tasks := quietServer(n)
	i := 0
	allocs := testing.AllocsPerRun(n, func() {
		s.add(&tasks[i], func() *sched.JoinHandle[struct{}] { return nil })
		i++
	})
	if allocs != 0 {
		t.Errorf("add made %.1f allocations per connection with debug "+
			"logging off, want 0", allocs)
	}
}

// TestRemoveAllocatesNothing is TestAddAllocatesNothing for the way out:
// with debug logging off, remove builds no closed line (its arguments,
// the peer's address boxed and the facts copied, were garbage for every
// connection that ended).
func TestRemoveAllocatesNothing(t *testing.T) {
	const n = 100
	s, tasks := quietServer(n)
	for i := range tasks {
		s.add(&tasks[i], func() *sched.JoinHandle[struct{}] { return nil })
	}
	i := 0
	allocs := testing.AllocsPerRun(n, func() {
		s.remove(nil, &tasks[i], "err", "shutdown")
		i++
	})
	if allocs != 0 {
		t.Errorf("remove made %.1f allocations per connection with debug "+
			"logging off, want 0", allocs)
	}
	if s.open() != 0 {
		t.Errorf("%d connections open after every one was removed", s.open())
	}
}

// quietServer returns a book server that logs at Info (no debug lines),
// with room for 2n connections, and n+1 connection tasks on it, not yet
// added: what the allocation tests of add and remove start from.
func quietServer(n int) (*bookServer, []connTask) {
	s := &bookServer{
		log:     slog.New(slog.NewTextHandler(io.Discard, nil)), // Info
		connSet: newConnSet(2 * n),
		tasks:   make([]*connTask, 0, 2*n),
	}
	tasks := make([]connTask, n+1)
	for i := range tasks {
		tasks[i].s = s
		tasks[i].echo.Start(new(tcp.Conn))
	}
	return s, tasks
}
