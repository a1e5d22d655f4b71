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

// forkDepth makes BenchmarkForkJoin's tree: 2^20 leaves, 2^21-1 tasks.
var forkDepth = 20

// fork is one node of the fork-join tree: it spawns its two children
// from inside the runtime and is done with the sum of their leaves.
type fork struct {
	depth   int
	spawned bool
	a, b    *sched.JoinHandle[int] // nil once joined
	sum     int
}

func (f *fork) Poll(cx *future.Context) future.Poll[int] {
	if f.depth == 0 {
		return future.Done(1)
	}
	if !f.spawned {
		f.spawned = true
		f.a = sched.SpawnFrom[int](cx, &fork{depth: f.depth - 1})
		f.b = sched.SpawnFrom[int](cx, &fork{depth: f.depth - 1})
	}
	for _, h := range []**sched.JoinHandle[int]{&f.a, &f.b} {
		if *h == nil {
			continue
		}
		p := (*h).Poll(cx)
		r, done := p.Value()
		if !done {
			return future.Pending[int]()
		}
		f.sum += r.Value
		*h = nil
	}
	return future.Done(f.sum)
}

// forkGo is the same tree with a goroutine per node, joined with a
// sync.WaitGroup.
func forkGo(depth int) int {
	if depth == 0 {
		return 1
	}
	var a, b int
	var wg sync.WaitGroup
	wg.Go(func() { a = forkGo(depth - 1) })
	wg.Go(func() { b = forkGo(depth - 1) })
	wg.Wait()
	return a + b
}

// BenchmarkForkJoin builds a binary tree of tasks, each spawning its two
// children and waiting for both: the shape of a parallel divide and
// conquer, where stealing matters. It reports ns per leaf.
func BenchmarkForkJoin(b *testing.B) {
	leaves := 1 << forkDepth
	b.Run("sched", func(b *testing.B) {
		rt, err := sched.New(0)
		if err != nil {
			b.Fatal(err)
		}
		defer rt.Shutdown()
		b.ReportAllocs()
		for b.Loop() {
			if n, err := sched.BlockOn[int](rt, &fork{depth: forkDepth}); err != nil || n != leaves {
				b.Fatal(n, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*leaves), "ns/leaf")
	})
	b.Run("goroutines", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if n := forkGo(forkDepth); n != leaves {
				b.Fatal(n)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*leaves), "ns/leaf")
	})
}

// pingPongRounds is how many times the ball crosses in one op.
const pingPongRounds = 100_000

// court is where two tasks hit a ball to each other: the one whose turn
// it is counts a hit, passes the turn, and wakes the other.
type court struct {
	mu     sync.Mutex
	turn   int
	hits   int
	wakers [2]future.Waker
	local  bool // wake through sched.WakeFrom, not Wake
}

type player struct {
	c  *court
	me int
}

func (p player) Poll(cx *future.Context) future.Poll[int] {
	c := p.c
	c.mu.Lock()
	if c.hits >= pingPongRounds {
		other := c.wakers[1-p.me]
		c.mu.Unlock()
		if other != nil {
			other.Wake() // the game is over: let the other one see it
		}
		return future.Done(c.hits)
	}
	if c.turn != p.me {
		c.wakers[p.me] = cx.Waker()
		c.mu.Unlock()
		return future.Pending[int]()
	}
	c.hits++
	c.turn = 1 - p.me
	c.wakers[p.me] = cx.Waker()
	other := c.wakers[1-p.me]
	c.mu.Unlock()
	if other != nil {
		if c.local {
			sched.WakeFrom(cx, other)
		} else {
			other.Wake()
		}
	}
	return future.Pending[int]()
}

// game spawns the two players from inside the runtime and waits for both.
type game struct {
	c       *court
	spawned bool
	a, b    *sched.JoinHandle[int] // nil once joined
}

func (g *game) Poll(cx *future.Context) future.Poll[int] {
	if !g.spawned {
		g.spawned = true
		g.a = sched.SpawnFrom[int](cx, player{g.c, 0})
		g.b = sched.SpawnFrom[int](cx, player{g.c, 1})
	}
	for _, h := range []**sched.JoinHandle[int]{&g.a, &g.b} {
		if *h == nil {
			continue
		}
		if _, done := (*h).Poll(cx).Value(); !done {
			return future.Pending[int]()
		}
		*h = nil
	}
	return future.Done(g.c.hits)
}

// BenchmarkPingPong passes a turn between two tasks through their
// wakers, and between two goroutines through an unbuffered channel.
// "wake" uses Waker.Wake, which from a worker goes through the global
// queue; "wakefrom" uses sched.WakeFrom, which puts the other task in
// the LIFO slot. It reports ns per crossing.
func BenchmarkPingPong(b *testing.B) {
	for _, local := range []bool{false, true} {
		name := map[bool]string{false: "wake", true: "wakefrom"}[local]
		b.Run(name, func(b *testing.B) {
			rt, err := sched.New(0)
			if err != nil {
				b.Fatal(err)
			}
			defer rt.Shutdown()
			for b.Loop() {
				if _, err := sched.BlockOn[int](rt, &game{c: &court{local: local}}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pingPongRounds), "ns/hit")
		})
	}
	b.Run("goroutines", func(b *testing.B) {
		for b.Loop() {
			ping, pong := make(chan int), make(chan int)
			go func() {
				for v := range ping {
					pong <- v + 1
				}
				close(pong)
			}()
			for i := 0; i < pingPongRounds; i += 2 {
				ping <- i
				<-pong
			}
			close(ping)
			<-pong
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pingPongRounds), "ns/hit")
	})
}

// imbalancedTasks tasks of imbalancedWork each are spawned from one task:
// few enough to fit in one worker's ring, so that without stealing no
// other worker ever sees them.
const (
	imbalancedTasks = 200
	imbalancedWork  = 20_000 // iterations of a small hash, some microseconds
)

// churn is a task that computes for a while and then counts itself done.
type churn struct{ c *countdown }

var sink atomic.Uint64

func (t churn) Poll(*future.Context) future.Poll[struct{}] {
	x := uint64(1)
	for i := range imbalancedWork {
		x = x*6364136223846793005 + uint64(i)
	}
	sink.Add(x & 1)
	if t.c.n.Add(-1) == 0 {
		t.c.waker.Wake()
	}
	return future.Done(struct{}{})
}

// spawnChurn spawns the churn tasks from inside the runtime.
type spawnChurn struct {
	c       countdown
	spawned bool
}

func (s *spawnChurn) Poll(cx *future.Context) future.Poll[struct{}] {
	if !s.spawned {
		s.spawned = true
		s.c.waker = cx.Waker()
		s.c.n.Store(imbalancedTasks)
		for range imbalancedTasks {
			sched.SpawnFrom[struct{}](cx, churn{&s.c})
		}
	}
	if s.c.n.Load() == 0 {
		return future.Done(struct{}{})
	}
	return future.Pending[struct{}]()
}

// BenchmarkImbalanced spawns all its tasks from one worker, with
// stealing on and off. Run it with -cpu 2 or more: with one worker there
// is nobody to steal.
func BenchmarkImbalanced(b *testing.B) {
	for _, steal := range []bool{true, false} {
		name := map[bool]string{true: "steal", false: "nosteal"}[steal]
		b.Run(name, func(b *testing.B) {
			newRT := sched.New
			if !steal {
				newRT = sched.NewNoSteal
			}
			rt, err := newRT(0)
			if err != nil {
				b.Fatal(err)
			}
			defer rt.Shutdown()
			for b.Loop() {
				if _, err := sched.BlockOn[struct{}](rt, &spawnChurn{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*imbalancedTasks), "ns/task")
		})
	}
}
