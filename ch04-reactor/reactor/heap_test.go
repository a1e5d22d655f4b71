package reactor

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// pendingTimers is how many timers are waiting in the heap: its entries,
// less the cancelled ones not yet dropped.
func (r *Reactor) pendingTimers() int {
	r.timers.mu.Lock()
	defer r.timers.mu.Unlock()
	return len(r.timers.heap) - r.timers.cancelled
}

// heapLen is how many entries the heap holds, cancelled ones included.
func (r *Reactor) heapLen() int {
	r.timers.mu.Lock()
	defer r.timers.mu.Unlock()
	return len(r.timers.heap)
}

// advance moves the reactor's clock on by d, as if d had passed: every
// deadline comes d closer. It lets a test fire timers set far ahead without
// waiting for them, however busy the machine.
func (r *Reactor) advance(d time.Duration) {
	r.timers.mu.Lock()
	r.timers.epoch = r.timers.epoch.Add(-d)
	r.timers.mu.Unlock()
}

// checkHeap reports a broken heap: an entry due before its parent, an
// entry whose timer is neither waiting nor cancelled, a count of
// cancelled entries that is wrong, or more garbage than the bound.
func (r *Reactor) checkHeap() error {
	tm := &r.timers
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.check()
}

// check is checkHeap's work; the caller holds tm.mu.
func (tm *timers) check() error {
	h := tm.heap
	cancelled := 0
	for i, e := range h {
		if i > 0 && e.before(h[(i-1)/heapArity]) {
			return fmt.Errorf("entry %d (at %d) is before its parent", i, e.at)
		}
		switch e.t.state {
		case timerCancelled:
			cancelled++
		case timerWaiting:
		default:
			return fmt.Errorf("entry %d has a timer in state %d", i, e.t.state)
		}
	}
	if cancelled != tm.cancelled {
		return fmt.Errorf("%d cancelled entries, but the count says %d", cancelled, tm.cancelled)
	}
	if tm.cancelled > len(h)/4 {
		return fmt.Errorf("%d cancelled entries in a heap of %d: more than a quarter", tm.cancelled, len(h))
	}
	return nil
}

// testReactor is a Reactor with timers and nothing else: no poller, so
// that the timer tests run on every system. Its Sleeps never interrupt a
// wait (nobody is sleeping), and expire stands in for a turn.
func testReactor() *Reactor {
	return &Reactor{timers: timers{epoch: time.Now()}}
}

// TestHeapTiesAreFIFO checks that entries with the same deadline leave
// the heap in the order they joined it.
func TestHeapTiesAreFIFO(t *testing.T) {
	var h timerHeap
	for i := range 50 {
		h.push(timerWhen{at: 1000, seq: uint64(50 - i)})
	}
	h.push(timerWhen{at: 999, seq: 100})
	if got := h.pop(); got.seq != 100 {
		t.Fatalf("first out has seq %d, want the earlier deadline (100)", got.seq)
	}
	for want := uint64(1); len(h) > 0; want++ {
		if got := h.pop(); got.seq != want {
			t.Fatalf("popped seq %d, want %d", got.seq, want)
		}
	}
}

// TestHeapSorts pushes random deadlines, some equal, pops half, pushes
// more, rebuilds with init, and checks that what comes out is sorted by
// deadline and then by seq: the heap against slices.SortFunc.
func TestHeapSorts(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 3, 4, 5, 17, 1000} {
		var h timerHeap
		var all []timerWhen
		var seq uint64
		add := func() {
			seq++
			e := timerWhen{at: rng.Int64N(int64(n) + 1), seq: seq}
			all = append(all, e)
			if i := h.push(e); h[i] != e {
				t.Fatalf("n=%d: push returned %d, where the entry is not", n, i)
			}
		}
		for range n {
			add()
		}
		var got []timerWhen
		for range n / 2 {
			got = append(got, h.pop())
		}
		for range n {
			add()
		}
		rng.Shuffle(len(h), func(i, j int) { h[i], h[j] = h[j], h[i] })
		h.init()
		for len(h) > 0 {
			got = append(got, h.pop())
		}
		byDeadline := func(a, b timerWhen) int {
			return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.seq, b.seq))
		}
		// The first n/2 were popped before the rest were pushed, so
		// each half is sorted on its own.
		first, rest := got[:n/2], got[n/2:]
		if !slices.IsSortedFunc(first, byDeadline) || !slices.IsSortedFunc(rest, byDeadline) || len(got) != len(all) {
			t.Fatalf("n=%d: popped %v, not in order", n, got)
		}
	}
}

// TestTimeoutRoundsUp checks that the wait's timeout never ends before the
// earliest deadline.
func TestTimeoutRoundsUp(t *testing.T) {
	now := time.Now()
	tm := &timers{epoch: now.Add(-time.Hour)}
	if got := tm.timeout(now); got != -1 {
		t.Errorf("no timers: timeout %v, want -1", got)
	}
	waiting := func(at int64) timerHeap {
		return timerHeap{{at: at, t: &timer{state: timerWaiting}}}
	}
	for _, c := range []struct{ in, want time.Duration }{
		{-time.Second, 0},
		{0, 0},
		{time.Nanosecond, time.Millisecond},
		{time.Millisecond, time.Millisecond},
		{49300 * time.Microsecond, 50 * time.Millisecond},
		// The extremes: capped at maxWait (1e9ms, as Go's netpoll), so
		// that the timeout fits epoll_wait's C int and the rounding up
		// cannot overflow.
		{1<<31*time.Millisecond - time.Nanosecond, maxWait},
		{(1<<32 + 50) * time.Millisecond, maxWait},
		{maxWait - time.Nanosecond, maxWait},
		{maxWait + time.Nanosecond, maxWait},
	} {
		tm.heap = waiting(tm.since(now.Add(c.in)))
		if got := tm.timeout(now); got != c.want {
			t.Errorf("deadline in %v: timeout %v, want %v", c.in, got, c.want)
		}
	}
	// The latest deadline there is, seen from the epoch itself, where
	// rounding up would overflow.
	tm.heap = waiting(math.MaxInt64)
	for _, now := range []time.Time{now, tm.epoch} {
		if got := tm.timeout(now); got != maxWait {
			t.Errorf("deadline at the largest Duration, %v after the epoch: timeout %v, want %v", now.Sub(tm.epoch), got, maxWait)
		}
	}
}

// TestTimeoutSkipsCancelled checks that a cancelled timer at the top of
// the heap does not cut the wait short: the timeout is the earliest
// deadline of a timer still waiting.
func TestTimeoutSkipsCancelled(t *testing.T) {
	r := testReactor()
	w := new(wakeCount)
	soon, late := r.Sleep(time.Hour), r.Sleep(2*time.Hour)
	others := make([]future.Future[struct{}], 10) // so that one cancel is no sweep
	for i := range others {
		others[i] = r.Sleep(3 * time.Hour)
		others[i].Poll(w.cx())
	}
	soon.Poll(w.cx())
	late.Poll(w.cx())
	future.Cancel(soon)
	if n := r.heapLen(); n != 12 {
		t.Fatalf("heap of %d after one cancel, want 12 (the entry stays)", n)
	}
	now := time.Now()
	got := r.timers.timeout(now)
	if got < time.Hour+time.Minute {
		t.Fatalf("timeout %v: the cancelled hour-long sleep still sets it, want about 2h", got)
	}
	if n := r.heapLen(); n != 11 {
		t.Errorf("heap of %d after timeout, want 11: the cancelled top should have left", n)
	}
	for _, s := range append(others, late) {
		future.Cancel(s)
	}
	if n := r.heapLen(); n != 0 {
		t.Errorf("heap of %d after every timer was cancelled, want 0", n)
	}
}

// wakeCount is a waker that counts its wake-ups, for the tests that run
// on every system (counter is the Unix tests' twin).
type wakeCount struct{ n int }

func (c *wakeCount) Wake()               { c.n++ }
func (c *wakeCount) cx() *future.Context { return future.NewContext(c) }

// TestCancelOrdersLeaveNoGarbage arms 10,000 timers and cancels them all,
// in the order they were armed, the reverse, and a shuffled one: the
// orders of the benchmark. After every cancel the heap must be a heap,
// hold no more than a quarter of garbage, and count its garbage right;
// at the end it must be empty, and no waker may have been called.
func TestCancelOrdersLeaveNoGarbage(t *testing.T) {
	const n = 10_000
	reverse := seqInts(n)
	slices.Reverse(reverse)
	orders := map[string][]int{
		"arm":     seqInts(n),
		"reverse": reverse,
		"random":  rand.New(rand.NewPCG(1, 2)).Perm(n),
	}
	for name, order := range orders {
		r := testReactor()
		w := new(wakeCount)
		sleeps := make([]future.Future[struct{}], n)
		for i := range sleeps {
			sleeps[i] = r.Sleep(time.Hour + time.Duration(i%100)*time.Millisecond)
			sleeps[i].Poll(w.cx())
		}
		for k, i := range order {
			future.Cancel(sleeps[i])
			if k%97 == 0 {
				if err := r.checkHeap(); err != nil {
					t.Fatalf("%s order, after %d cancels: %v", name, k+1, err)
				}
				if got, want := r.pendingTimers(), n-k-1; got != want {
					t.Fatalf("%s order, after %d cancels: %d pending, want %d", name, k+1, got, want)
				}
			}
		}
		if got := r.heapLen(); got != 0 {
			t.Errorf("%s order: %d entries left in the heap, want 0", name, got)
		}
		r.advance(2 * time.Hour)
		if got := r.timers.expire(time.Now(), nil); len(got) != 0 || w.n != 0 {
			t.Errorf("%s order: cancelled timers fired: %d wakers, %d wakes", name, len(got), w.n)
		}
	}
}

// seqInts returns 0, 1, ..., n-1.
func seqInts(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// TestLazyCancelModel runs random arms, cancels and expiries on the heap,
// with deadlines as plain numbers, against a list of the timers that
// should be waiting. Every expiry must fire exactly the waiting timers
// that are due, in deadline order (ties in arm order), and never a
// cancelled one; the heap stays a heap with bounded garbage throughout.
func TestLazyCancelModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var tm timers
	type armed struct {
		t    *timer
		at   int64
		id   int
		woke *int
	}
	var waiting []armed // the reference, in arm order
	var fired []int     // ids, in the order their wakers were called
	var now int64
	for id := range 20_000 {
		switch op := rng.IntN(10); {
		case op < 5 || len(waiting) == 0: // arm
			a := armed{t: new(timer), at: now + 1 + rng.Int64N(50), id: id, woke: new(int)}
			tm.add(a.t, a.at, future.WakerFunc(func() {
				*a.woke++
				fired = append(fired, a.id)
			}))
			waiting = append(waiting, a)
		case op < 9: // cancel one
			i := rng.IntN(len(waiting))
			tm.cancel(waiting[i].t)
			waiting = slices.Delete(waiting, i, i+1)
		default: // let some time pass and fire what is due
			now += rng.Int64N(20)
			fired = fired[:0]
			for _, w := range tm.expireUntil(now, nil) {
				w.Wake()
			}
			var due []armed
			waiting = slices.DeleteFunc(waiting, func(a armed) bool {
				if a.at <= now {
					due = append(due, a)
					return true
				}
				return false
			})
			slices.SortStableFunc(due, func(a, b armed) int { return cmp.Compare(a.at, b.at) })
			want := make([]int, len(due))
			for i, a := range due {
				want[i] = a.id
				if *a.woke != 1 || a.t.state != timerFired {
					t.Fatalf("timer %d woken %d times, state %d; want once, fired", a.id, *a.woke, a.t.state)
				}
			}
			if !slices.Equal(fired, want) {
				t.Fatalf("at %d: fired %v, want %v", now, fired, want)
			}
		}
		if err := tm.check(); err != nil {
			t.Fatal(err)
		}
		if got := len(tm.heap) - tm.cancelled; got != len(waiting) {
			t.Fatalf("%d timers pending, want %d", got, len(waiting))
		}
	}
	for _, a := range waiting {
		tm.cancel(a.t)
	}
	if len(tm.heap) != 0 || tm.cancelled != 0 {
		t.Fatalf("every timer cancelled: %d entries left, %d counted cancelled; want 0 and 0", len(tm.heap), tm.cancelled)
	}
}

// TestCancelThenArmAgain cancels a sleep whose entry stays in the heap
// (others keep the garbage under a quarter), then arms a new sleep with
// the same deadline, as a server does when it cancels a request's timeout
// and starts the next one. Only the new sleep may fire, once, and the
// heap must be empty afterwards.
func TestCancelThenArmAgain(t *testing.T) {
	r := testReactor()
	var others [8]future.Future[struct{}]
	idle := new(wakeCount)
	for i := range others {
		others[i] = r.Sleep(3 * time.Hour)
		others[i].Poll(idle.cx())
	}
	old, fresh := new(wakeCount), new(wakeCount)
	first := r.Sleep(time.Hour)
	first.Poll(old.cx())
	future.Cancel(first)
	if n := r.heapLen(); n != 9 {
		t.Fatalf("heap of %d after the cancel, want 9: the cancelled entry stays", n)
	}
	second := r.Sleep(time.Hour)
	second.Poll(fresh.cx())
	r.advance(2 * time.Hour)
	for _, w := range r.timers.expire(time.Now(), nil) {
		w.Wake()
	}
	if old.n != 0 || fresh.n != 1 {
		t.Fatalf("wakes: cancelled sleep %d, new sleep %d; want 0 and 1", old.n, fresh.n)
	}
	if !second.Poll(fresh.cx()).IsDone() {
		t.Fatal("the new sleep is still pending after it fired")
	}
	for _, s := range others {
		future.Cancel(s)
	}
	if n := r.heapLen(); n != 0 || idle.n != 0 {
		t.Fatalf("heap of %d and %d wakes after every other sleep was cancelled, want 0 and 0", n, idle.n)
	}
}

// TestCancelTrimsTail checks that a cancelled entry at the tail of the
// heap leaves at once, with every cancelled entry before it: timers armed
// with growing deadlines and cancelled in reverse, a request's timeout
// after another's, leave no garbage at any moment, not just a bounded
// amount.
func TestCancelTrimsTail(t *testing.T) {
	r := testReactor()
	w := new(wakeCount)
	var sleeps []future.Future[struct{}]
	for i := range 8 {
		s := r.Sleep(time.Hour + time.Duration(i)*time.Millisecond)
		s.Poll(w.cx())
		sleeps = append(sleeps, s)
	}
	future.Cancel(sleeps[2]) // in the middle: stays, marked
	for i := 7; i > 3; i-- {
		future.Cancel(sleeps[i])
		if got := r.heapLen(); got != i {
			t.Fatalf("after cancelling timer %d of 8: %d entries, want %d",
				i, got, i)
		}
	}
	future.Cancel(sleeps[3]) // the tail now: leaves, and 2 with it
	if got := r.heapLen(); got != 2 || r.timers.cancelled != 0 {
		t.Fatalf("%d entries, %d cancelled; want 2 and 0",
			got, r.timers.cancelled)
	}
}
