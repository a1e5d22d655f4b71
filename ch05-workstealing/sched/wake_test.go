package sched_test

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

// target is a task under a wake storm. It is done once a poll has seen
// every wake that will ever be sent to it (sent == total): a wake made
// after the last increment must be followed by a poll, or the task never
// finishes. It notes a poll that overlaps another poll of itself.
type target struct {
	total   int64
	sent    atomic.Int64 // incremented before each Wake
	polls   atomic.Int64
	inPoll  atomic.Bool
	overlap atomic.Int64
	waker   atomic.Pointer[future.Waker]
	ready   chan struct{} // closed by the first poll, once waker is set
}

func newTarget(total int64) *target {
	return &target{total: total, ready: make(chan struct{})}
}

func (x *target) Poll(cx *future.Context) future.Poll[int64] {
	if !x.inPoll.CompareAndSwap(false, true) {
		x.overlap.Add(1)
	}
	n := x.polls.Add(1)
	if n == 1 {
		w := cx.Waker()
		x.waker.Store(&w)
		close(x.ready)
	}
	// A little work, so that polls last long enough to overlap if the
	// runtime ever let them.
	var spin int
	for i := range 200 {
		spin += i
	}
	_ = spin
	done := x.sent.Load() == x.total
	x.inPoll.Store(false)
	if done {
		return future.Done(n)
	}
	return future.Pending[int64]()
}

// wake counts one wake and makes it.
func (x *target) wake() {
	x.sent.Add(1)
	(*x.waker.Load()).Wake()
}

// waker is a task that wakes its share of targets, a few per poll, and
// yields (wakes itself) in between, so that wakes also come from inside
// the runtime's workers.
type wakerTask struct {
	targets []*target
	rounds  int
	i       int
}

func (w *wakerTask) Poll(cx *future.Context) future.Poll[struct{}] {
	for range 4 {
		if w.i == w.rounds*len(w.targets) {
			return future.Done(struct{}{})
		}
		w.targets[w.i%len(w.targets)].wake()
		w.i++
	}
	cx.Waker().Wake()
	return future.Pending[struct{}]()
}

// TestStressWakeStorm wakes tasks from many goroutines and from other tasks at
// once, over and over. No task may be polled while it is being polled
// (the inPoll flag), none may be lost (each sees its last wake and
// finishes), and no task is polled more often than it was woken, plus
// its first poll.
func TestStressWakeStorm(t *testing.T) {
	const (
		targets  = 16
		wakers   = 8 // goroutines
		tasks    = 4 // waker tasks
		rounds   = 200
		perRound = 1 // wakes of each target by each waker in one round
	)
	reps := 5
	if raceEnabled {
		reps = 2
	}
	for _, workers := range []int{1, 2, 4} {
		for rep := range reps {
			rt := newRT(t, workers)
			total := int64((wakers + tasks) * rounds * perRound)
			xs := make([]*target, targets)
			hs := make([]*sched.JoinHandle[int64], targets)
			for i := range xs {
				xs[i] = newTarget(total)
				hs[i] = sched.Spawn[int64](rt, xs[i])
			}
			for _, x := range xs {
				await(t, x.ready, polls(rt), "a target was never polled")
			}
			start := make(chan struct{})
			var wg sync.WaitGroup
			for range wakers {
				wg.Go(func() {
					<-start
					for range rounds * perRound {
						for _, x := range xs {
							x.wake()
							runtime.Gosched() // let polls run between wakes
						}
					}
				})
			}
			var ws []*sched.JoinHandle[struct{}]
			close(start)
			for range tasks {
				ws = append(ws, sched.Spawn[struct{}](rt, &wakerTask{targets: xs, rounds: rounds * perRound}))
			}
			for _, h := range ws {
				if _, err := join(t, rt, h, "a waker task never finished"); err != nil {
					t.Fatal(err)
				}
			}
			wg.Wait() // the goroutines never block: Wake must not
			var allPolls int64
			for i, h := range hs {
				n, err := join(t, rt, h, "a target never finished: a wake was lost")
				if err != nil {
					t.Fatalf("target %d: %v", i, err)
				}
				x := xs[i]
				if o := x.overlap.Load(); o != 0 {
					t.Fatalf("%d workers: target %d was polled concurrently with itself %d times", workers, i, o)
				}
				allPolls += n
				if n > total+1 {
					t.Fatalf("%d workers: target %d polled %d times for %d wakes", workers, i, n, total)
				}
			}
			if rep == 0 {
				t.Logf("%d workers: %d polls for %d wakes", workers, allPolls, total*targets)
			}
		}
	}
}

// batchTarget records, in each poll, which batch of wakes it saw.
type batchTarget struct {
	batch atomic.Int64 // set by the test before each batch
	seen  []int64      // the batch each poll saw; only the polls touch it
	polls atomic.Int64
	stop  atomic.Bool
	waker atomic.Pointer[future.Waker]
}

func (x *batchTarget) Poll(cx *future.Context) future.Poll[[]int64] {
	w := cx.Waker()
	x.waker.Store(&w)
	x.seen = append(x.seen, x.batch.Load())
	x.polls.Add(1)
	if x.stop.Load() {
		return future.Done(x.seen)
	}
	return future.Pending[[]int64]()
}

// TestWakeBatchOnePoll wakes one task many times at once, from many
// goroutines, while every worker is held busy, so that all the wakes of
// a batch land while the task waits on a queue. However many wakes a
// batch holds, the task is then polled exactly once for it: the state
// word turns a burst of wakes into one queue entry.
func TestWakeBatchOnePoll(t *testing.T) {
	const (
		batches = 50
		wakers  = 8
		each    = 10 // wakes per goroutine per batch
	)
	for _, workers := range []int{1, 2} {
		rt := newRT(t, workers)
		x := new(batchTarget)
		h := sched.Spawn[[]int64](rt, x)
		waitFor(t, func() bool { return x.polls.Load() == 1 }, "the task's first poll never came")
		for b := int64(1); b <= batches; b++ {
			gs := hold(t, rt, workers)
			x.batch.Store(b)
			if b == batches {
				x.stop.Store(true)
			}
			var wg sync.WaitGroup
			for range wakers {
				wg.Go(func() {
					w := *x.waker.Load()
					for range each {
						w.Wake()
					}
				})
			}
			wg.Wait()
			release(gs)
			if b < batches {
				waitFor(t, func() bool { return x.polls.Load() == b+1 }, "the task was not polled after a batch of wakes: lost")
			}
		}
		seen, err := join(t, rt, h, "the task never finished")
		if err != nil {
			t.Fatal(err)
		}
		// The first poll saw batch 0; each batch then got exactly one.
		if len(seen) != batches+1 {
			t.Fatalf("%d workers: %d polls for %d batches of %d wakes, want %d: %v",
				workers, len(seen), batches, wakers*each, batches+1, seen)
		}
		for i, b := range seen {
			if b != int64(i) {
				t.Fatalf("%d workers: poll %d saw batch %d, want %d: %v", workers, i, b, i, seen)
			}
		}
	}
}
