package sched_test

import (
	"sync"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch05-workstealing/internal/compare"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch05-workstealing/schedtest"
)

// spawnTasks is how many tasks one op of BenchmarkSpawn starts.
const spawnTasks = 1_000_000

func perTask(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
}

// pool is what both goroutine pools of package compare offer.
type pool interface {
	Run(n int)
	Close()
}

// BenchmarkSpawn spawns a million trivial tasks from one task (or
// goroutine) and waits for all of them, on this runtime and three ways
// Go programs do it: a goroutine each, and two pools of GOMAXPROCS
// goroutines, one fed through a channel, one through a slice under a
// mutex. Run it with -cpu 1,2.
func BenchmarkSpawn(b *testing.B) {
	b.Run("sched", func(b *testing.B) {
		rt := schedtest.New(b, 0, sched.New)
		b.ReportAllocs()
		for b.Loop() {
			if err := compare.Spawn(rt, spawnTasks); err != nil {
				b.Fatal(err)
			}
		}
		perTask(b, spawnTasks)
	})
	b.Run("goroutines", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			compare.Goroutines(spawnTasks)
		}
		perTask(b, spawnTasks)
	})
	pools := []struct {
		name string
		new  func() pool
	}{
		{"chanpool", func() pool { return compare.NewChanPool() }},
		{"mutexpool", func() pool { return compare.NewMutexPool() }},
	}
	for _, pl := range pools {
		b.Run(pl.name, func(b *testing.B) {
			p := pl.new()
			defer p.Close()
			b.ReportAllocs()
			for b.Loop() {
				p.Run(spawnTasks)
			}
			perTask(b, spawnTasks)
		})
	}
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
		rt := schedtest.New(b, 0, sched.New)
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
			rt := schedtest.New(b, 0, sched.New)
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

// imbalancedTasks is how many tasks BenchmarkImbalanced spawns: few
// enough to fit in one worker's ring, so that without stealing no other
// worker ever sees them.
const imbalancedTasks = 200

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
			rt := schedtest.New(b, 0, newRT)
			for b.Loop() {
				if err := compare.Churn(rt, imbalancedTasks); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*imbalancedTasks), "ns/task")
		})
	}
}

// handles keeps BenchmarkAllocTask's last few tasks alive, as a runtime's
// queues do, so that the compiler cannot drop the allocations.
var handles [256]*sched.JoinHandle[struct{}]

// BenchmarkAllocTask allocates a million task objects and does nothing
// else: the floor under BenchmarkSpawn/sched, whose every task is one of
// these. Compare its ns/task with the pools' in BenchmarkSpawn.
func BenchmarkAllocTask(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for i := range spawnTasks {
			handles[i%len(handles)] = new(sched.JoinHandle[struct{}])
		}
	}
	perTask(b, spawnTasks)
}
