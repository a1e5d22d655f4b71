//go:build linux || darwin || freebsd || netbsd || openbsd

package main

// Answers to the exercises of chapter 4. The book's answers appendix
// includes them by anchor; go test ./ch04-reactor runs them.

import (
	"bytes"
	"cmp"
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
		full := bytes.Repeat([]byte("x"), 16<<10)
		a := &budgeted{name: "a", in: pipeWith(t, r, full),
			budget: tt.budget, want: 16 << 10,
			buf: make([]byte, 1<<10), log: &log}
		b := &budgeted{name: "b", in: pipeWith(t, r, []byte("hello\n")),
			budget: tt.budget, want: 6, buf: make([]byte, 1<<10), log: &log}
		executor.Spawn[error](ex, a)
		executor.Spawn[error](ex, b)
		ex.Run()
		r.Close()
		if i := slices.Index(log, "b"); i != tt.bAfter {
			t.Errorf("budget %d: b read after %d reads of a, want %d (%v)",
				tt.budget, i, tt.bAfter, log)
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
	timeout := future.Map(r.Sleep(50*time.Millisecond),
		func(struct{}) int { return -1 })
	h := executor.Spawn(ex, future.Select(impatient(in, &reads), timeout))
	ex.Run()
	sel, err := h.Result()
	if err != nil {
		t.Fatal(err)
	}
	if sel.Index != 1 || reads != 2 {
		t.Errorf("got %+v after %d reads; want the timer to win"+
			" after 2 reads", sel, reads)
	}
	if n, err := readFD(in.fd, make([]byte, 1)); err != nil || n == 0 {
		t.Errorf("the pipe should still hold bytes: read %d, %v", n, err)
	}
}

// ANCHOR_END: ex2-2

// ANCHOR: ex3-1

// movingTimer is a timer whose deadline can move later (exercise 3): at is
// the deadline its owner wants now. Its entry in the heap may still hold
// an earlier one.
type movingTimer struct {
	at int64
	id int // ties between equal deadlines go to the lower id
}

// movingEntry is one entry of movingHeap: a deadline kept in the array,
// perhaps out of date, and its timer.
type movingEntry struct {
	at int64
	t  *movingTimer
}

// movingHeap is a binary min-heap whose postpone is O(1): it writes the
// new deadline in the timer and leaves the entry alone, as Go's
// (*timer).modify marks a timer timerModified and leaves heap[i].when.
type movingHeap []movingEntry

func (h *movingHeap) add(t *movingTimer) {
	*h = append(*h, movingEntry{t.at, t})
	h.up(len(*h) - 1)
}

// postpone moves t's deadline to at, which must not be earlier.
func (h *movingHeap) postpone(t *movingTimer, at int64) {
	if at < t.at {
		panic("movingHeap: a deadline may only move later")
	}
	t.at = at
}

// ANCHOR_END: ex3-1

// ANCHOR: ex3-2

// due pops every timer whose deadline is not after now, earliest first.
// A stale entry's deadline is never later than its timer's, so the top is
// still a lower bound on every deadline. A stale entry at the top is not
// due: it takes its timer's deadline and sinks, as Go's
// (*timer).updateHeap does for heap[0].
func (h *movingHeap) due(now int64) []*movingTimer {
	var out []*movingTimer
	for len(*h) > 0 && (*h)[0].at <= now {
		if top := &(*h)[0]; top.at != top.t.at {
			top.at = top.t.at
			h.down(0)
			continue
		}
		out = append(out, (*h)[0].t)
		h.pop()
	}
	return out
}

// ANCHOR_END: ex3-2

// The rest of movingHeap is a textbook binary heap.

func (h movingHeap) less(i, j int) bool {
	a, b := h[i], h[j]
	return a.at < b.at || a.at == b.at && a.t.id < b.t.id
}

func (h movingHeap) up(i int) {
	for i > 0 && h.less(i, (i-1)/2) {
		h[i], h[(i-1)/2] = h[(i-1)/2], h[i]
		i = (i - 1) / 2
	}
}

func (h movingHeap) down(i int) {
	for {
		m := i
		for _, c := range []int{2*i + 1, 2*i + 2} {
			if c < len(h) && h.less(c, m) {
				m = c
			}
		}
		if m == i {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func (h *movingHeap) pop() {
	last := len(*h) - 1
	(*h)[0] = (*h)[last]
	*h = (*h)[:last]
	if last > 0 {
		h.down(0)
	}
}

// byDeadline orders timers as movingHeap does.
func byDeadline(a, b *movingTimer) int {
	return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.id, b.id))
}

// ANCHOR: ex3-3

// TestAnswerPostpone arms timers, postpones them at random and lets time
// pass, against a plain list: each step's due timers must be those the
// list says, in deadline order, and the heap holds one entry per timer.
func TestAnswerPostpone(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h movingHeap
	var live []*movingTimer // the reference
	var now int64
	for id := range 20000 {
		switch op := rng.IntN(4); {
		case op == 0 || len(live) == 0:
			tm := &movingTimer{at: now + 1 + rng.Int64N(100), id: id}
			h.add(tm)
			live = append(live, tm)
		case op == 1:
			tm := live[rng.IntN(len(live))]
			h.postpone(tm, tm.at+rng.Int64N(50))
		default:
			now += rng.Int64N(10)
			got := h.due(now)
			var want []*movingTimer
			live = slices.DeleteFunc(live, func(tm *movingTimer) bool {
				if tm.at <= now {
					want = append(want, tm)
					return true
				}
				return false
			})
			slices.SortFunc(want, byDeadline)
			if !slices.Equal(got, want) {
				t.Fatalf("at %d: %d due, want %d", now, len(got), len(want))
			}
		}
		if len(h) != len(live) {
			t.Fatalf("%d entries for %d timers", len(h), len(live))
		}
	}
}

// ANCHOR_END: ex3-3

// ANCHOR: ex3-4

// TestAnswerPostponeIdle: a connection reads every millisecond for 5
// seconds with a 5s idle timeout. Its entry is fixed once, when the first
// deadline it outlived reaches the top, not once per read.
func TestAnswerPostponeIdle(t *testing.T) {
	var idle movingHeap
	conn := &movingTimer{at: 5000}
	idle.add(conn)
	sinks := 0
	for ms := int64(1); ms <= 5000; ms++ {
		idle.postpone(conn, ms+5000) // a read: the timeout starts again
		if idle[0].at <= ms && idle[0].at != conn.at {
			sinks++ // due would fix the stale entry now
		}
		if got := idle.due(ms); len(got) != 0 {
			t.Fatalf("the idle timeout fired at %dms,"+
				" with a read every millisecond", ms)
		}
	}
	if sinks != 1 {
		t.Errorf("the entry was fixed %d times in 5000 reads, want 1", sinks)
	}
}

// ANCHOR_END: ex3-4
