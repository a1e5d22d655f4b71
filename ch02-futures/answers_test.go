package main

// Answers to the exercises of chapter 2. The book's answers appendix
// includes them by anchor; go test ./ch02-futures runs them.

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// drive polls f until it is done, waiting between polls for a wake-up, as
// pollWithWaker does but quietly. A future that stops waking fails the
// test after ten seconds instead of hanging it.
func drive[T any](t *testing.T, f future.Future[T]) T {
	t.Helper()
	woken := make(chan struct{}, 1)
	cx := future.NewContext(future.WakerFunc(func() {
		select {
		case woken <- struct{}{}:
		default:
		}
	}))
	for {
		if v, ok := f.Poll(cx).Value(); ok {
			return v
		}
		select {
		case <-woken:
		case <-time.After(10 * time.Second):
			t.Fatal("pending and not woken for 10s: a lost wake-up")
		}
	}
}

// ANCHOR: ex1

// errTimeout is what timeout's future fails with when the deadline wins.
var errTimeout = errors.New("timed out")

type result[T any] = future.Result[T] // a shorter name

// Exercise 1: timeout races f against a deadline, both mapped to a Result
// so that Select sees one type. Select cancels the loser.
func timeout[T any](f future.Future[T], d *deadline) future.Future[result[T]] {
	won := future.Map(f, future.Ok[T])
	late := future.Map[string](d, func(string) result[T] {
		return future.Err[T](errTimeout)
	})
	pick := func(s future.Selected[result[T]]) result[T] { return s.Value }
	return future.Map(future.Select(won, late), pick)
}

func TestAnswerTimeout(t *testing.T) {
	// f wins on its second poll, after the deadline, an hour away, has
	// armed its timer: Select cancels the deadline, which stops the timer.
	d := newDeadline("limit", time.Hour)
	r := drive(t, timeout(future.Yield(1, 7), d))
	if v, err := r.Get(); v != 7 || err != nil {
		t.Errorf("f won: got (%v, %v), want (7, nil)", v, err)
	}
	d.mu.Lock()
	if d.timer == nil || !d.stopped {
		t.Errorf("f won: timer armed %v, stopped %v; want both",
			d.timer != nil, d.stopped)
	}
	d.mu.Unlock()

	// The deadline wins: f, a promise nobody sets, is cancelled.
	var never future.Promise[int]
	r = drive(t, timeout[int](&never, newDeadline("limit", time.Millisecond)))
	if _, err := r.Get(); !errors.Is(err, errTimeout) {
		t.Errorf("deadline won: got error %v, want errTimeout", err)
	}
}

// ANCHOR_END: ex1

// ANCHOR: ex2-1

// Exercise 2: fairSelect is Select with a starting index that moves on by
// one at every Select it makes, so two children that are always ready
// take turns winning. (The package's Select always starts at index 0.)
type fairSelect[T any] struct {
	children []future.Future[T]
	start    int
}

var nextStart int // shared by every fairSelect: each one starts further on

func newFairSelect[T any](fs ...future.Future[T]) *fairSelect[T] {
	nextStart++
	return &fairSelect[T]{children: fs, start: nextStart % len(fs)}
}

func (s *fairSelect[T]) Poll(
	cx *future.Context) future.Poll[future.Selected[T]] {
	for k := range s.children {
		i := (s.start + k) % len(s.children)
		if v, ok := s.children[i].Poll(cx).Value(); ok {
			for j, f := range s.children {
				if j != i {
					future.Cancel(f)
				}
			}
			return future.Done(future.Selected[T]{Index: i, Value: v})
		}
	}
	return future.Pending[future.Selected[T]]()
}

// ANCHOR_END: ex2-1

// ANCHOR: ex2-2

func TestAnswerFairSelect(t *testing.T) {
	var biased, fair [2]int
	for range 100 {
		zero, one := future.Ready(0), future.Ready(1)
		biased[drive(t, future.Select(zero, one)).Index]++
		fair[drive(t, newFairSelect(future.Ready(0), future.Ready(1))).Index]++
	}
	if biased[1] != 0 {
		t.Errorf("Select picked index 1 %d times; it should always pick 0",
			biased[1])
	}
	if fair[0] != 50 || fair[1] != 50 {
		t.Errorf("fairSelect wins %v, want 50 each", fair)
	}
}

// ANCHOR_END: ex2-2

// ANCHOR: ex3-1

// Exercise 3: brokenThen returns Pending right after making the second
// future, without polling it. future's TestThenNoLostWakeup fails on it:
// with two Ready futures the first poll is Pending, and nobody has been
// asked to wake the task, so a waker-driven loop waits forever. The busy
// loop of part 3 hides it, because it polls again without being woken.
type brokenThen[T, U any] struct {
	first  future.Future[T]
	next   func(T) future.Future[U]
	second future.Future[U]
}

func (b *brokenThen[T, U]) Poll(cx *future.Context) future.Poll[U] {
	if b.second == nil {
		v, ok := b.first.Poll(cx).Value()
		if !ok {
			return future.Pending[U]()
		}
		b.second = b.next(v)
		return future.Pending[U]() // the bug: second was never polled
	}
	return b.second.Poll(cx)
}

// ANCHOR_END: ex3-1

// ANCHOR: ex3-2

func TestAnswerBrokenThen(t *testing.T) {
	wakes := 0
	cx := future.NewContext(future.WakerFunc(func() { wakes++ }))
	next := func(v int) future.Future[int] { return future.Ready(v + 1) }
	b := &brokenThen[int, int]{first: future.Ready(1), next: next}
	if b.Poll(cx).IsDone() {
		t.Fatal("brokenThen was done on its first poll; the bug is gone")
	}
	if wakes != 0 {
		t.Fatalf("%d wake-ups after the Pending; "+
			"want none, which is the lost wake-up", wakes)
	}
	// A busy loop polls again anyway, and finds it done.
	if v, ok := b.Poll(cx).Value(); !ok || v != 2 {
		t.Errorf("second busy poll: got (%v, %v), want (2, true)", v, ok)
	}
	// The real Then is done on its first poll.
	if !future.Then(future.Ready(1), next).Poll(cx).IsDone() {
		t.Error("future.Then was not done on its first poll")
	}
}

// ANCHOR_END: ex3-2

// ANCHOR: ex4-1

// Exercise 4: indexedJoin gives each child a waker of its own, which
// records the child's index and then wakes the parent's waker. Poll polls
// only the children recorded since the last poll (all of them the first
// time). It joins ints, to keep the answer short.
type indexedJoin struct {
	children []future.Future[int] // nil once done
	values   []int
	left     int
	started  bool

	mu     sync.Mutex
	woken  []int        // children whose wakers fired since the last poll
	parent future.Waker // the waker of the latest poll
}

type childWaker struct {
	j *indexedJoin
	i int
}

func (w childWaker) Wake() {
	w.j.mu.Lock()
	w.j.woken = append(w.j.woken, w.i)
	parent := w.j.parent
	w.j.mu.Unlock()
	parent.Wake() // outside the lock: a waker may do anything
}

// ANCHOR_END: ex4-1

// ANCHOR: ex4-2

func (j *indexedJoin) Poll(cx *future.Context) future.Poll[[]int] {
	j.mu.Lock()
	j.parent = cx.Waker()
	due := j.woken
	j.woken = nil
	j.mu.Unlock()
	if !j.started {
		j.started = true
		due = due[:0]
		for i := range j.children {
			due = append(due, i)
		}
	}
	for _, i := range due {
		f := j.children[i]
		if f == nil {
			continue // woken twice, or after it finished
		}
		if v, ok := f.Poll(future.NewContext(childWaker{j, i})).Value(); ok {
			j.values[i], j.children[i] = v, nil
			j.left--
		}
	}
	if j.left > 0 {
		return future.Pending[[]int]()
	}
	return future.Done(j.values)
}

// ANCHOR_END: ex4-2

// counted is a promise that counts how often it is polled.
type counted struct {
	p     *future.Promise[int]
	polls *int
}

func (c counted) Poll(cx *future.Context) future.Poll[int] {
	*c.polls++
	return c.p.Poll(cx)
}

// childPolls joins n promises with join, polls once, then sets the
// promises one at a time and polls after each, and returns how many times
// the children were polled in all.
func childPolls(t *testing.T, n int, join func([]future.Future[int]) future.Future[[]int]) int {
	polls := 0
	ps := make([]*future.Promise[int], n)
	fs := make([]future.Future[int], n)
	for i := range ps {
		ps[i] = new(future.Promise[int])
		fs[i] = counted{ps[i], &polls}
	}
	cx := future.NewContext(future.NoopWaker)
	j := join(fs)
	for i := range n + 1 {
		if i > 0 {
			ps[i-1].Set(i - 1)
		}
		if done := j.Poll(cx).IsDone(); done != (i == n) {
			t.Fatalf("poll %d: done = %v", i, done)
		}
	}
	return polls
}

func TestAnswerIndexedJoin(t *testing.T) {
	const n = 100
	before := childPolls(t, n, func(fs []future.Future[int]) future.Future[[]int] {
		return future.Join(fs...)
	})
	after := childPolls(t, n, func(fs []future.Future[int]) future.Future[[]int] {
		return &indexedJoin{children: fs, values: make([]int, n), left: n}
	})
	if want := n + n*(n+1)/2; before != want {
		t.Errorf("Join: %d child polls, want %d", before, want)
	}
	if after != 2*n {
		t.Errorf("indexedJoin: %d child polls, want %d: one to wait, one to finish", after, 2*n)
	}
}
