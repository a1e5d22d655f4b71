package reactor

import (
	"container/heap"
	"fmt"
	"math"
	"testing"
	"time"
)

// pendingTimers is how many timers are in the heap.
func (r *Reactor) pendingTimers() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.timers)
}

// advance moves the reactor's clock on by d, as if d had passed: every
// deadline comes d closer. It lets a test fire timers set far ahead without
// waiting for them, however busy the machine.
func (r *Reactor) advance(d time.Duration) {
	r.mu.Lock()
	r.epoch = r.epoch.Add(-d)
	r.mu.Unlock()
}

// checkHeap reports a broken heap: a child before its parent, or a timer
// whose index is not its place.
func (r *Reactor) checkHeap() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.timers
	for i, t := range h {
		if t.index != i {
			return fmt.Errorf("timer at %d has index %d", i, t.index)
		}
		if i > 0 && h.Less(i, (i-1)/2) {
			return fmt.Errorf("timer at %d is before its parent", i)
		}
	}
	return nil
}

// TestHeapTiesAreFIFO checks that timers with the same deadline leave the
// heap in the order they joined it.
func TestHeapTiesAreFIFO(t *testing.T) {
	var h timerHeap
	for i := range 50 {
		heap.Push(&h, &timer{at: 1000, seq: uint64(50 - i)})
	}
	heap.Push(&h, &timer{at: 999, seq: 100})
	if got := heap.Pop(&h).(*timer); got.seq != 100 {
		t.Fatalf("first out has seq %d, want the earlier deadline (100)", got.seq)
	}
	for want := uint64(1); h.Len() > 0; want++ {
		got := heap.Pop(&h).(*timer)
		if got.seq != want || got.index != -1 {
			t.Fatalf("popped seq %d index %d, want seq %d index -1", got.seq, got.index, want)
		}
	}
}

// TestTimeoutRoundsUp checks that the wait's timeout never ends before the
// earliest deadline.
func TestTimeoutRoundsUp(t *testing.T) {
	now := time.Now()
	r := &Reactor{epoch: now.Add(-time.Hour)}
	if got := r.timeoutLocked(now); got != -1 {
		t.Errorf("no timers: timeout %v, want -1", got)
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
		r.timers = timerHeap{{at: r.since(now.Add(c.in))}}
		if got := r.timeoutLocked(now); got != c.want {
			t.Errorf("deadline in %v: timeout %v, want %v", c.in, got, c.want)
		}
	}
	// The latest deadline there is, seen from the epoch itself, where
	// rounding up would overflow.
	r.timers = timerHeap{{at: math.MaxInt64}}
	for _, now := range []time.Time{now, r.epoch} {
		if got := r.timeoutLocked(now); got != maxWait {
			t.Errorf("deadline at the largest Duration, %v after the epoch: timeout %v, want %v", now.Sub(r.epoch), got, maxWait)
		}
	}
}
