// Package compare holds the workloads that chapter 5 runs on its
// work-stealing runtime and, in the same shape, on what Go offers: a
// goroutine per task, and two fixed pools of goroutines. The chapter's
// program and its benchmarks both use them, so the numbers in the book
// and the numbers a reader gets from go test -bench come from the same
// code.
package compare

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

// ANCHOR: countdown

// A countdown is a sync.WaitGroup for tasks: the task that brings it to
// zero wakes the task waiting for it.
type countdown struct {
	n     atomic.Int64
	waker future.Waker
}

// done counts one task done.
func (c *countdown) done() {
	if c.n.Add(-1) == 0 {
		c.waker.Wake()
	}
}

// ANCHOR_END: countdown

// ANCHOR: spawn-all

// trivial is a task that does nothing but count itself done. It is one
// pointer wide, so storing it in a Future interface does not allocate:
// spawning it costs the task and nothing else.
type trivial struct{ c *countdown }

func (t trivial) Poll(*future.Context) future.Poll[struct{}] {
	t.c.done()
	return future.Done(struct{}{})
}

// ANCHOR: spawnall-task

// spawnAll is a task that spawns n tasks made by mk, from inside the
// runtime, and is done when all of them are.
type spawnAll struct {
	n       int
	mk      func(*countdown) future.Future[struct{}]
	c       countdown
	spawned bool
}

func (s *spawnAll) Poll(cx *future.Context) future.Poll[struct{}] {
	if !s.spawned {
		s.spawned = true
		s.c.waker = cx.Waker()
		s.c.n.Store(int64(s.n) + 1) // + 1 until every task is spawned
		for range s.n {
			sched.SpawnFrom(cx, s.mk(&s.c))
		}
		s.c.n.Add(-1)
	}
	if s.c.n.Load() == 0 {
		return future.Done(struct{}{})
	}
	return future.Pending[struct{}]()
}

// ANCHOR_END: spawnall-task

// Spawn spawns n trivial tasks from one task on rt and waits for all.
func Spawn(rt *sched.Runtime, n int) error {
	mk := func(c *countdown) future.Future[struct{}] { return trivial{c} }
	_, err := sched.BlockOn[struct{}](rt, &spawnAll{n: n, mk: mk})
	return err
}

// ANCHOR_END: spawn-all

// Goroutines starts n goroutines that do nothing, from one goroutine,
// and waits for all: Spawn's shape in plain Go.
func Goroutines(n int) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {})
	}
	wg.Wait()
}

// ANCHOR: chan-pool

// A ChanPool is a fixed set of goroutines that run the functions sent
// on one channel: the usual Go worker pool.
type ChanPool struct {
	jobs    chan func()
	workers sync.WaitGroup
}

// NewChanPool starts a pool of GOMAXPROCS goroutines.
func NewChanPool() *ChanPool {
	p := &ChanPool{jobs: make(chan func(), 256)}
	for range runtime.GOMAXPROCS(0) {
		p.workers.Go(func() {
			for f := range p.jobs {
				f()
			}
		})
	}
	return p
}

// Run hands the pool n jobs that do nothing and waits for all.
func (p *ChanPool) Run(n int) {
	var wg sync.WaitGroup
	wg.Add(n)
	done := wg.Done // one func value for every job: no allocation per job
	for range n {
		p.jobs <- done
	}
	wg.Wait()
}

// Close stops the pool's goroutines.
func (p *ChanPool) Close() { close(p.jobs); p.workers.Wait() }

// ANCHOR_END: chan-pool

// A MutexPool is a fixed set of goroutines that take functions from one
// slice under a mutex, sleeping on a sync.Cond when it is empty.
type MutexPool struct {
	mu      sync.Mutex
	cond    sync.Cond
	jobs    []func()
	closed  bool
	workers sync.WaitGroup
}

// NewMutexPool starts a pool of GOMAXPROCS goroutines.
func NewMutexPool() *MutexPool {
	p := &MutexPool{}
	p.cond.L = &p.mu
	for range runtime.GOMAXPROCS(0) {
		p.workers.Go(p.serve)
	}
	return p
}

// Run hands the pool n jobs that do nothing and waits for all.
func (p *MutexPool) Run(n int) {
	var wg sync.WaitGroup
	wg.Add(n)
	done := wg.Done
	for range n {
		p.mu.Lock()
		p.jobs = append(p.jobs, done)
		p.mu.Unlock()
		p.cond.Signal()
	}
	wg.Wait()
}

func (p *MutexPool) serve() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		for len(p.jobs) == 0 && !p.closed {
			p.cond.Wait()
		}
		if len(p.jobs) == 0 {
			return
		}
		f := p.jobs[0]
		p.jobs[0] = nil
		p.jobs = p.jobs[1:]
		p.mu.Unlock()
		f()
		p.mu.Lock()
	}
}

// Close stops the pool's goroutines.
func (p *MutexPool) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cond.Broadcast()
	p.workers.Wait()
}

// ANCHOR: churn

// churn is a task that computes for some microseconds and then counts
// itself done: enough work that spreading it over workers pays.
type churn struct{ c *countdown }

// ChurnWork is how many rounds of arithmetic one churn task does.
const ChurnWork = 20_000

var sink atomic.Uint64

func (t churn) Poll(*future.Context) future.Poll[struct{}] {
	x := uint64(1)
	for i := range ChurnWork {
		x = x*6364136223846793005 + uint64(i)
	}
	sink.Add(x & 1) // keep the loop from being optimised away
	t.c.done()
	return future.Done(struct{}{})
}

// Churn spawns n churn tasks from one task on rt and waits for all. With
// n at most a ring's size (256), every task starts in one worker's ring:
// the others get work only by stealing it.
func Churn(rt *sched.Runtime, n int) error {
	mk := func(c *countdown) future.Future[struct{}] { return churn{c} }
	_, err := sched.BlockOn[struct{}](rt, &spawnAll{n: n, mk: mk})
	return err
}

// ANCHOR_END: churn
