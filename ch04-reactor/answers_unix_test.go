//go:build linux || darwin || freebsd || netbsd || openbsd

package main

// Answers to the exercises of chapter 4. The book's answers appendix
// includes them by anchor; go test ./ch04-reactor runs them.

import (
	"bytes"
	"container/heap"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
)

// pipeWith returns a registered pipe whose read end holds data.
func pipeWith(t *testing.T, r *reactor.Reactor, data []byte) *reader {
	t.Helper()
	rfd, wfd, err := newPipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFD(rfd); closeFD(wfd) })
	if err := writeFD(wfd, data); err != nil {
		t.Fatal(err)
	}
	reg, err := r.Register(rfd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Deregister() })
	return &reader{fd: rfd, reg: reg}
}

// ANCHOR: ex1-1

// budgeted reads in until it has read want bytes, at most budget reads per
// Poll. When the budget runs out it wakes its own waker and returns
// Pending, so the executor queues it behind every other ready task
// (exercise 1). log records each read, by name, in order.
type budgeted struct {
	name   string
	in     *reader
	budget int
	want   int
	got    int
	buf    []byte
	log    *[]string
}

func (b *budgeted) Poll(cx *future.Context) future.Poll[error] {
	for range b.budget {
		n, err := b.in.read(cx, b.buf)
		switch {
		case err == errPending:
			return future.Pending[error]()
		case err != nil:
			return future.Done(err)
		}
		b.got += n
		*b.log = append(*b.log, b.name)
		if b.got >= b.want {
			return future.Done[error](nil)
		}
	}
	cx.Waker().Wake() // out of budget: let the others run
	return future.Pending[error]()
}

// ANCHOR_END: ex1-1

// ANCHOR: ex1-2

// TestAnswerReadBudget: task a has 16 KiB waiting, read 1 KiB at a time;
// task b has one line. With a budget of 4 reads, b runs after a's fourth
// read; with no real budget, a reads all 16 KiB first.
func TestAnswerReadBudget(t *testing.T) {
	for _, tt := range []struct{ budget, bAfter int }{{4, 4}, {1 << 20, 16}} {
		r, err := reactor.New()
		if err != nil {
			t.Fatal(err)
		}
		ex := executor.NewWith(r)
		var log []string
		a := &budgeted{name: "a", in: pipeWith(t, r, bytes.Repeat([]byte("x"), 16<<10)),
			budget: tt.budget, want: 16 << 10, buf: make([]byte, 1<<10), log: &log}
		b := &budgeted{name: "b", in: pipeWith(t, r, []byte("hello\n")),
			budget: tt.budget, want: 6, buf: make([]byte, 1<<10), log: &log}
		executor.Spawn[error](ex, a)
		executor.Spawn[error](ex, b)
		ex.Run()
		r.Close()
		if i := slices.Index(log, "b"); i != tt.bAfter {
			t.Errorf("budget %d: b read after %d reads of a, want %d (%v)", tt.budget, i, tt.bAfter, log)
		}
	}
}

// ANCHOR_END: ex1-2

// ANCHOR: ex2-1

// impatient reads in with reads of 4 KiB, and awaits Readable after every
// read instead of reading until EAGAIN: the bug of exercise 2. It counts
// its reads in *reads, and is done only if a read fails.
func impatient(in *reader, reads *int) future.Future[int] {
	buf := make([]byte, 4<<10)
	var ready future.Future[error]
	return future.Func[int](func(cx *future.Context) future.Poll[int] {
		for {
			if ready != nil {
				if _, ok := ready.Poll(cx).Value(); !ok {
					return future.Pending[int]()
				}
			}
			if _, err := readFD(in.fd, buf); err != nil {
				return future.Done(*reads) // EAGAIN or worse: stop here
			}
			*reads++
			ready = in.reg.Readable() // the bug: wait after every read
		}
	})
}

// ANCHOR_END: ex2-1

// ANCHOR: ex2-2

// TestAnswerForgetEAGAIN: with 16 KiB in the pipe, the impatient reader
// reads once, is woken once by the edge Register found, reads again, and
// then waits for an edge that never comes. A timer makes Park return;
// the reader is still pending, and the bytes are still there.
func TestAnswerForgetEAGAIN(t *testing.T) {
	r, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	in := pipeWith(t, r, bytes.Repeat([]byte("x"), 16<<10))
	reads := 0
	ex := executor.NewWith(r)
	h := executor.Spawn(ex, future.Select(impatient(in, &reads),
		future.Map(r.Sleep(50*time.Millisecond), func(struct{}) int { return -1 })))
	ex.Run()
	sel, err := h.Result()
	if err != nil {
		t.Fatal(err)
	}
	if sel.Index != 1 || reads != 2 {
		t.Errorf("got %+v after %d reads; want the timer to win after 2 reads", sel, reads)
	}
	if n, err := readFD(in.fd, make([]byte, 1)); err != nil || n == 0 {
		t.Errorf("the pipe should still hold bytes: read %d, %v", n, err)
	}
}

// ANCHOR_END: ex2-2

// ANCHOR: ex3-1

// lazyHeap is a timer heap whose cancel only marks the timer, as Go's
// (*timer).stop does (exercise 3). Cancelled timers leave when they reach
// the top (cleanHead), or all at once when they are more than a quarter
// of the heap (sweep), as (*timers).adjust does with force set.
type lazyHeap struct {
	h         timerSlice
	cancelled int
}

type lazyTimer struct {
	at        int64
	cancelled bool
}

type timerSlice []*lazyTimer

func (h timerSlice) Len() int           { return len(h) }
func (h timerSlice) Less(i, j int) bool { return h[i].at < h[j].at }
func (h timerSlice) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerSlice) Push(x any)        { *h = append(*h, x.(*lazyTimer)) }
func (h *timerSlice) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

func (l *lazyHeap) add(at int64) *lazyTimer {
	t := &lazyTimer{at: at}
	heap.Push(&l.h, t)
	return t
}

// ANCHOR_END: ex3-1

// ANCHOR: ex3-2

func (l *lazyHeap) cancel(t *lazyTimer) {
	if !t.cancelled {
		t.cancelled = true
		l.cancelled++
		if l.cancelled > len(l.h)/4 {
			l.sweep()
		}
	}
}

// sweep drops every cancelled timer and rebuilds the heap in O(n).
func (l *lazyHeap) sweep() {
	l.h = slices.DeleteFunc(l.h, func(t *lazyTimer) bool { return t.cancelled })
	heap.Init(&l.h)
	l.cancelled = 0
}

// earliest drops cancelled timers from the top and returns the earliest
// live deadline, or false if there is none.
func (l *lazyHeap) earliest() (int64, bool) {
	for len(l.h) > 0 && l.h[0].cancelled {
		heap.Pop(&l.h)
		l.cancelled--
	}
	if len(l.h) == 0 {
		return 0, false
	}
	return l.h[0].at, true
}

// ANCHOR_END: ex3-2

// ANCHOR: ex3-3

func TestAnswerLazyCancel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var l lazyHeap
	var live []*lazyTimer // the reference: every timer not cancelled
	for range 20000 {
		if len(live) > 0 && rng.IntN(2) == 0 {
			i := rng.IntN(len(live))
			l.cancel(live[i])
			live = slices.Delete(live, i, i+1)
		} else {
			live = append(live, l.add(rng.Int64N(1000)))
		}
		got, ok := l.earliest()
		if len(live) == 0 {
			if ok {
				t.Fatalf("earliest = %d with no live timer", got)
			}
			continue
		}
		want := slices.MinFunc(live, func(a, b *lazyTimer) int { return int(a.at - b.at) }).at
		if !ok || got != want {
			t.Fatalf("earliest = %d, %v; want %d", got, ok, want)
		}
		if l.cancelled > len(l.h)/4+1 {
			t.Fatalf("%d cancelled timers in a heap of %d", l.cancelled, len(l.h))
		}
	}
}

// ANCHOR_END: ex3-3
