// Package answers holds answers to the exercises of chapter 5, as code
// that go test checks. The book's answers appendix includes it by anchor.
package answers

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// ANCHOR: ex1-1

// A Group is a sync.WaitGroup for tasks (exercise 1): Add and Done count
// work in and out, from any goroutine, and Wait returns a future that is
// done once the count is zero. Any number of tasks may wait at once.
type Group struct {
	mu      sync.Mutex
	n       int
	waiters []*groupWait // pending Waits, each with its latest waker
}

// Add adds delta, which may be negative, to the count. When the count
// reaches zero it wakes every waiting task, after letting go of the lock.
// A count below zero is a bug in the caller, and Add panics.
func (g *Group) Add(delta int) {
	g.mu.Lock()
	g.n += delta
	if g.n < 0 {
		g.mu.Unlock()
		panic("answers: Group count below zero")
	}
	var wake []future.Waker
	if g.n == 0 {
		for _, w := range g.waiters {
			w.listed = false
			wake = append(wake, w.waker)
		}
		g.waiters = nil
	}
	g.mu.Unlock()
	for _, wk := range wake {
		wk.Wake()
	}
}

// Done takes one off the count.
func (g *Group) Done() { g.Add(-1) }

// ANCHOR_END: ex1-1

// ANCHOR: ex1-2

// Wait returns a future that is done once the count is zero.
func (g *Group) Wait() future.Future[struct{}] { return &groupWait{g: g} }

type groupWait struct {
	g      *Group
	waker  future.Waker // guarded by g.mu
	listed bool         // on g.waiters; guarded by g.mu
	done   bool
}

func (w *groupWait) Poll(cx *future.Context) future.Poll[struct{}] {
	g := w.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if w.done {
		panic("answers: Group.Wait polled after it was done")
	}
	if g.n == 0 {
		w.done = true
		return future.Done(struct{}{})
	}
	w.waker = cx.Waker() // only the latest poll's waker counts
	if !w.listed {
		g.waiters = append(g.waiters, w)
		w.listed = true
	}
	return future.Pending[struct{}]()
}

// ANCHOR_END: ex1-2

// ANCHOR: ex1-3

// Cancel takes an abandoned Wait off the list, so that the Group does not
// keep it, or wake its task, for nothing.
func (w *groupWait) Cancel() {
	g := w.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if w.listed {
		i := slices.Index(g.waiters, w)
		g.waiters = slices.Delete(g.waiters, i, i+1)
		w.listed = false
	}
}

// ANCHOR_END: ex1-3

// ANCHOR: ex2

// Chunks is a task that does N rounds of work (exercise 2). Without
// Yield it does them all in one poll; with Yield it does one round per
// poll, and before it returns Pending it wakes itself, so that its
// worker puts it at the back of its ring and polls something else first.
// Rounds counts the rounds done so far, for another task to read.
type Chunks struct {
	N      int64
	Yield  bool
	Rounds atomic.Int64
}

// Poll does one round, or all that are left.
func (c *Chunks) Poll(cx *future.Context) future.Poll[int64] {
	for c.Rounds.Load() < c.N {
		round()
		n := c.Rounds.Add(1)
		if c.Yield && n < c.N {
			cx.Waker().Wake()
			return future.Pending[int64]()
		}
	}
	return future.Done(c.Rounds.Load())
}

// sink keeps round's arithmetic from being optimised away.
var sink atomic.Uint64

// round is a microsecond or so of arithmetic.
func round() {
	x := uint64(1)
	for i := range 2000 {
		x = x*6364136223846793005 + uint64(i)
	}
	sink.Add(x & 1)
}

// ANCHOR_END: ex2

// ANCHOR: ex3-1

// A Semaphore hands out n permits to tasks (exercise 3). Acquire's future
// is done once its task holds a permit; Release gives one back. Waiters
// are served in the order they first asked: Release hands its permit
// straight to the first waiter, which cannot then lose it to a newcomer.
type Semaphore struct {
	mu    sync.Mutex
	free  int
	queue []*acquire // waiting, oldest first
}

// NewSemaphore returns a semaphore with n permits.
func NewSemaphore(n int) *Semaphore { return &Semaphore{free: n} }

// Acquire returns a future that is done once its task holds a permit.
// Cancelling it before it is done gives up its place, or the permit that
// was handed to it meanwhile.
func (s *Semaphore) Acquire() future.Future[struct{}] { return &acquire{s: s} }

// Release gives a permit back: to the oldest waiter, whose task it wakes,
// or to the pool if nobody waits.
func (s *Semaphore) Release() {
	s.mu.Lock()
	if len(s.queue) == 0 {
		s.free++
		s.mu.Unlock()
		return
	}
	a := s.queue[0]
	s.queue = s.queue[1:]
	a.queued, a.granted = false, true
	wk := a.waker
	s.mu.Unlock()
	wk.Wake()
}

// ANCHOR_END: ex3-1

// ANCHOR: ex3-2

type acquire struct {
	s       *Semaphore
	waker   future.Waker // the latest poll's; guarded by s.mu
	queued  bool         // on s.queue
	granted bool         // Release handed it a permit
	done    bool         // returned Done, or was cancelled
}

func (a *acquire) Poll(cx *future.Context) future.Poll[struct{}] {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case a.done:
		panic("answers: Acquire polled after it was done")
	case a.granted, !a.queued && len(s.queue) == 0 && s.free > 0:
		if !a.granted {
			s.free--
		}
		a.done = true
		return future.Done(struct{}{})
	}
	a.waker = cx.Waker()
	if !a.queued {
		s.queue = append(s.queue, a)
		a.queued = true
	}
	return future.Pending[struct{}]()
}

// ANCHOR_END: ex3-2

// ANCHOR: ex3-3

// Cancel abandons a pending Acquire: it leaves the queue, or, if Release
// has already handed it a permit that its task never saw, passes the
// permit on. After Done it does nothing: the task holds the permit and
// must Release it.
func (a *acquire) Cancel() {
	s := a.s
	s.mu.Lock()
	if a.done {
		s.mu.Unlock()
		return
	}
	a.done = true
	granted := a.granted
	if a.queued {
		i := slices.Index(s.queue, a)
		s.queue = slices.Delete(s.queue, i, i+1)
		a.queued = false
	}
	s.mu.Unlock()
	if granted {
		s.Release()
	}
}

// ANCHOR_END: ex3-3

// ANCHOR: ex4

// StealModel models work stealing in rounds (exercise 4), all tasks
// starting on worker 0. Each round, every worker in turn runs the task in
// its hand or at the head of its queue; with neither, it steals instead
// (see steal). It returns the rounds until every task had run, the
// steals made, and how many times each task ran (each must be once).
func StealModel(
	workers, tasks int, half bool,
) (rounds, steals int, runs []int) {
	runs = make([]int, tasks)
	queues := make([][]int, workers)
	hands := make([]int, workers) // the task in hand, or -1
	for i := range tasks {
		queues[0] = append(queues[0], i)
	}
	for w := range hands {
		hands[w] = -1
	}
	for left := tasks; left > 0; {
		rounds++
		for w := range queues {
			switch {
			case hands[w] >= 0:
				runs[hands[w]]++
				hands[w] = -1
				left--
			case len(queues[w]) > 0:
				runs[queues[w][0]]++
				queues[w] = queues[w][1:]
				left--
			default:
				if steal(queues, hands, w, half) {
					steals++
				}
			}
		}
	}
	return rounds, steals, runs
}

// ANCHOR_END: ex4

// ANCHOR: ex4-2

// steal makes worker w's steal: from the head of the first non-empty
// queue after its own, half the tasks (rounded up) if half is set, or
// else one. The first goes into w's hand, to run next round, where no
// thief can take it back (as stealInto returns one task to run at once);
// the rest join w's queue. steal reports whether it found a task.
func steal(queues [][]int, hands []int, w int, half bool) bool {
	for i := 1; i < len(queues); i++ {
		v := (w + i) % len(queues)
		n := len(queues[v])
		if n == 0 {
			continue
		}
		take := 1
		if half {
			take = n - n/2
		}
		hands[w] = queues[v][0]
		queues[w] = append(queues[w], queues[v][1:take]...)
		queues[v] = queues[v][take:]
		return true
	}
	return false
}

// ANCHOR_END: ex4-2
