package sched_test

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

// spawnTasks is how many tasks one op of BenchmarkSpawn starts.
const spawnTasks = 1_000_000

// countdown is a sync.WaitGroup for tasks: the task that brings n to zero
// wakes the waiting one.
type countdown struct {
	n     atomic.Int64
	waker future.Waker
}

// leaf is a trivial task: it counts itself done. It is one pointer wide,
// so storing it in a Future interface does not allocate.
type leaf struct{ c *countdown }

func (l leaf) Poll(*future.Context) future.Poll[struct{}] {
	if l.c.n.Add(-1) == 0 {
		l.c.waker.Wake()
	}
	return future.Done(struct{}{})
}

// spawnAll is the root task of BenchmarkSpawn: it spawns n leaves from
// inside the runtime and is done when all of them are.
type spawnAll struct {
	c       countdown
	n       int
	spawned bool
}

func (s *spawnAll) Poll(cx *future.Context) future.Poll[struct{}] {
	if !s.spawned {
		s.spawned = true
		s.c.waker = cx.Waker()
		s.c.n.Store(int64(s.n) + 1)
		for range s.n {
			sched.SpawnFrom[struct{}](cx, leaf{&s.c})
		}
		if s.c.n.Add(-1) == 0 {
			return future.Done(struct{}{})
		}
		return future.Pending[struct{}]()
	}
	if s.c.n.Load() == 0 {
		return future.Done(struct{}{})
	}
	return future.Pending[struct{}]()
}

func perTask(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
}

// BenchmarkSpawn spawns a million trivial tasks from one task (or
// goroutine) and waits for all of them, on this runtime and three ways
// Go programs do it: a goroutine each, and two pools of GOMAXPROCS
// goroutines, one fed through a channel, one through a slice under a
// mutex. Run it with -cpu 1,2.
func BenchmarkSpawn(b *testing.B) {
	b.Run("sched", func(b *testing.B) {
		rt, err := sched.New(0)
		if err != nil {
			b.Fatal(err)
		}
		defer rt.Shutdown()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := sched.BlockOn[struct{}](rt, &spawnAll{n: spawnTasks}); err != nil {
				b.Fatal(err)
			}
		}
		perTask(b, spawnTasks)
	})
	b.Run("goroutines", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var wg sync.WaitGroup
			for range spawnTasks {
				wg.Go(func() {})
			}
			wg.Wait()
		}
		perTask(b, spawnTasks)
	})
	b.Run("chanpool", func(b *testing.B) {
		b.ReportAllocs()
		jobs := make(chan func(), 256)
		var workers sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			workers.Go(func() {
				for f := range jobs {
					f()
				}
			})
		}
		defer func() { close(jobs); workers.Wait() }()
		for b.Loop() {
			var wg sync.WaitGroup
			wg.Add(spawnTasks)
			done := wg.Done
			for range spawnTasks {
				jobs <- done
			}
			wg.Wait()
		}
		perTask(b, spawnTasks)
	})
	b.Run("mutexpool", func(b *testing.B) {
		b.ReportAllocs()
		q := newMutexPool(runtime.GOMAXPROCS(0))
		defer q.close()
		for b.Loop() {
			var wg sync.WaitGroup
			wg.Add(spawnTasks)
			done := wg.Done
			for range spawnTasks {
				q.submit(done)
			}
			wg.Wait()
		}
		perTask(b, spawnTasks)
	})
}

// mutexPool is a fixed pool of goroutines over one slice of jobs under a
// mutex, with a sync.Cond to sleep on.
type mutexPool struct {
	mu      sync.Mutex
	cond    sync.Cond
	jobs    []func()
	closed  bool
	workers sync.WaitGroup
}

func newMutexPool(n int) *mutexPool {
	q := &mutexPool{}
	q.cond.L = &q.mu
	for range n {
		q.workers.Go(q.serve)
	}
	return q
}

func (q *mutexPool) submit(f func()) {
	q.mu.Lock()
	q.jobs = append(q.jobs, f)
	q.mu.Unlock()
	q.cond.Signal()
}

func (q *mutexPool) serve() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		for len(q.jobs) == 0 && !q.closed {
			q.cond.Wait()
		}
		if len(q.jobs) == 0 {
			return
		}
		f := q.jobs[0]
		q.jobs = q.jobs[1:]
		q.mu.Unlock()
		f()
		q.mu.Lock()
	}
}

func (q *mutexPool) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
	q.workers.Wait()
}
