package reactor

import (
	"sync"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// ANCHOR: timers

// ANCHOR: timer-type

// A timer is one pending Sleep. It lives inside its sleep future, so
// arming it allocates nothing; the heap holds an entry that points to it.
type timer struct {
	waker future.Waker // the waker of the Sleep's latest poll
	state timerState
}

// timerState is where a timer is in its life. Only the holder of
// timers.mu changes it, once the timer is armed.
type timerState uint8

const (
	timerIdle      timerState = iota // not armed yet: never polled
	timerWaiting                     // in the heap, waiting for its deadline
	timerFired                       // its deadline passed (or Close ran): done
	timerCancelled                   // cancelled; its entry may stay
)

// A timerWhen is one entry of the heap. The deadline and its tie-break
// live in the heap's array, beside the pointer, so that ordering the heap
// reads only the array, as Go's timerWhen in runtime/time.go does.
type timerWhen struct {
	at  int64  // deadline, in nanoseconds since timers.epoch
	seq uint64 // ties between equal deadlines go to the older timer
	t   *timer
}

// ANCHOR_END: timer-type

// before reports whether a is due before b.
func (a timerWhen) before(b timerWhen) bool {
	return a.at < b.at || a.at == b.at && a.seq < b.seq
}

// ANCHOR: timers-type

// timers is the reactor's heap of pending sleeps, under a mutex of its
// own: arming and cancelling a timer take no lock that a Readable poll or
// a Register takes. Deadlines are nanoseconds since epoch, read off the
// monotonic clock, so the heap compares integers, not time.Time values.
type timers struct {
	mu        sync.Mutex
	heap      timerHeap // by deadline, then seq; its top is the earliest
	cancelled int       // entries in heap whose timer was cancelled
	seq       uint64    // the seq of the latest timer armed
	epoch     time.Time // when New ran
	closed    bool      // Close has run: no timer joins the heap any more
}

// ANCHOR_END: timers-type

// ANCHOR: heap

// ANCHOR: heap-type

// heapArity is how many children an entry of the heap has: two, a binary
// heap. Go's timer heap has four (timerHeapN in runtime/time.go): half the
// levels, four children to compare on the way down. On BenchmarkTimers
// four measured no faster than two, so we keep the simpler picture.
const heapArity = 2

// timerHeap is a min-heap in an array: the children of entry i are
// entries heapArity*i+1 to heapArity*i+heapArity, and none is due before
// its parent.
type timerHeap []timerWhen

// ANCHOR_END: heap-type

// ANCHOR: heap-sift

// siftUp moves the entry at i up, past every parent due after it, and
// returns where it stopped.
func (h timerHeap) siftUp(i int) int {
	e := h[i]
	for i > 0 {
		p := (i - 1) / heapArity
		if !e.before(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
	return i
}

// siftDown moves the entry at i down, past every child due before it.
func (h timerHeap) siftDown(i int) {
	e := h[i]
	for {
		c := heapArity*i + 1 // the first child
		if c >= len(h) {
			break
		}
		m := c // the earliest child
		for k := c + 1; k < min(c+heapArity, len(h)); k++ {
			if h[k].before(h[m]) {
				m = k
			}
		}
		if !h[m].before(e) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = e
}

// ANCHOR_END: heap-sift

// ANCHOR_END: heap

// push adds e and returns its index.
func (h *timerHeap) push(e timerWhen) int {
	*h = append(grow(*h), e)
	return h.siftUp(len(*h) - 1)
}

// pop removes the top entry and returns it; the heap must not be empty.
func (h *timerHeap) pop() timerWhen {
	old := *h
	top, last := old[0], len(old)-1
	old[0] = old[last]
	old[last] = timerWhen{} // let the timer go
	*h = old[:last]
	if last > 0 {
		h.siftDown(0)
	}
	return top
}

// init puts the entries in heap order, in O(n): every parent, the last
// first, sifts down.
func (h timerHeap) init() {
	if len(h) < 2 {
		return
	}
	for i := (len(h) - 2) / heapArity; i >= 0; i-- {
		h.siftDown(i)
	}
}

// since returns t as nanoseconds since the epoch. Both are read off the
// monotonic clock, so the difference ignores changes to the wall clock.
// The caller holds tm.mu.
func (tm *timers) since(t time.Time) int64 { return int64(t.Sub(tm.epoch)) }

// ANCHOR: timeout

// maxWait caps the timeout of one wait, as netpoll in
// runtime/netpoll_epoll.go caps its delay at 1e9ms (about 11.5 days).
// epoll_wait takes its timeout as a C int of milliseconds, so a longer one
// would be cut to 32 bits; and capping costs nothing, because Park
// computes a fresh timeout after every wait.
const maxWait = 1e9 * time.Millisecond

// timeout is how long a turn may wait: until the earliest deadline,
// rounded up to a whole millisecond (epoll_wait's unit) so that the wait
// never ends just before it, but at most maxWait; or -1 if there are no
// timers. Cancelled timers at the top leave first (cleanHead), so that
// none of them cuts a wait short.
func (tm *timers) timeout(now time.Time) time.Duration {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	tm.cleanHead()
	if len(tm.heap) == 0 {
		return -1
	}
	d := time.Duration(tm.heap[0].at - tm.since(now))
	switch {
	case d <= 0:
		return 0
	case d >= maxWait:
		// Before rounding, which would overflow near the largest
		// Duration.
		return maxWait
	}
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}

// ANCHOR_END: timeout

// ANCHOR: expire

// expire pops every entry whose deadline is not after now, earliest
// first, and collects the wakers of their timers. An entry whose timer
// was cancelled leaves the heap here, unseen.
func (tm *timers) expire(now time.Time, wakers []future.Waker) []future.Waker {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.expireUntil(tm.since(now), wakers)
}

// expireUntil is expire with now as nanoseconds since the epoch. The
// caller holds tm.mu.
func (tm *timers) expireUntil(now int64, wakers []future.Waker) []future.Waker {
	for len(tm.heap) > 0 && tm.heap[0].at <= now {
		t := tm.heap.pop().t
		if t.state == timerCancelled {
			tm.cancelled--
			continue
		}
		t.state = timerFired
		if t.waker != nil {
			wakers = append(wakers, t.waker)
			t.waker = nil
		}
	}
	if tm.cancelled > len(tm.heap)/4 { // the heap shrank under its garbage
		tm.sweep()
	}
	return wakers
}

// ANCHOR_END: expire

// add arms t, to fire at at with waker w, and returns its index in the
// heap: 0 if it is now the earliest. t must have no entry in the heap,
// not even a cancelled one, which would fire it again: a Sleep arms its
// timer once. The caller holds tm.mu.
func (tm *timers) add(t *timer, at int64, w future.Waker) int {
	tm.seq++
	*t = timer{waker: w, state: timerWaiting}
	return tm.heap.push(timerWhen{at: at, seq: tm.seq, t: t})
}

// ANCHOR: lazy-cancel

// cancel marks t, a waiting timer, cancelled, and leaves its entry where
// it is: removing it would sift through the heap, with a pointer to
// follow at every step. Go's (*timer).stop marks a timer the same way.
// The garbage is bounded: entries at the tail leave at once (removing the
// last entry of a heap moves nothing), and once more than a quarter of
// the heap is garbage, sweep rebuilds it, as Go's (*timers).adjust does
// when (*timers).check finds that many. The caller holds tm.mu.
func (tm *timers) cancel(t *timer) {
	t.state, t.waker = timerCancelled, nil
	tm.cancelled++
	h := tm.heap
	for len(h) > 0 && h[len(h)-1].t.state == timerCancelled {
		h[len(h)-1] = timerWhen{}
		h = h[:len(h)-1]
		tm.cancelled--
	}
	tm.heap = h
	if tm.cancelled > len(tm.heap)/4 {
		tm.sweep()
	}
}

// ANCHOR_END: lazy-cancel

// ANCHOR: sweep

// sweep drops every cancelled entry and puts the rest back in heap order,
// in O(n). Their seq numbers keep ties in the order they had.
func (tm *timers) sweep() {
	live := tm.heap[:0]
	for _, e := range tm.heap {
		if e.t.state != timerCancelled {
			live = append(live, e)
		}
	}
	clear(tm.heap[len(live):])
	tm.heap, tm.cancelled = live, 0
	tm.heap.init()
}

// cleanHead pops cancelled entries off the top, so that the top is a
// waiting timer (or the heap is empty), as Go's (*timers).cleanHead does.
// The caller holds tm.mu.
func (tm *timers) cleanHead() {
	for len(tm.heap) > 0 && tm.heap[0].t.state == timerCancelled {
		tm.heap.pop()
		tm.cancelled--
	}
}

// ANCHOR_END: sweep

// close fires every waiting timer, appends their wakers to wakers, and
// empties the heap; from now on a Sleep is done on its first poll.
func (tm *timers) close(wakers []future.Waker) []future.Waker {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	for _, e := range tm.heap {
		if e.t.state != timerWaiting {
			continue
		}
		e.t.state = timerFired
		if e.t.waker != nil {
			wakers = append(wakers, e.t.waker)
			e.t.waker = nil
		}
	}
	tm.heap, tm.cancelled, tm.closed = nil, 0, true
	return wakers
}

// ANCHOR: sleep-new

// Sleep returns a future that is done once d has passed since Sleep was
// called. The deadline is fixed at the call; the timer joins the heap at
// the first Poll, so a Sleep that is never polled costs nothing. It joins
// the heap even if its deadline has passed by then, and is done by the
// next turn of the reactor: sleeps finish in deadline order however late
// they are first polled. A d of zero or less is done on the first Poll.
//
// Whoever abandons the future before it is done must cancel it
// (future.Cancel), so that its timer never fires and its memory is
// released. Polling it after it is done or cancelled panics. If the
// Reactor is closed, the sleep ends early.
func (r *Reactor) Sleep(d time.Duration) future.Future[struct{}] {
	return &sleep{r: r, when: time.Now().Add(d), now: d <= 0}
}

type sleep struct {
	r     *Reactor
	when  time.Time
	t     timer // armed at the first Poll, unless now
	now   bool  // d <= 0: done on the first Poll, without the heap
	armed bool  // t has joined the heap (it may have left it since)
	done  bool
}

// ANCHOR_END: sleep-new

// ANCHOR: sleep-poll

func (s *sleep) Poll(cx *future.Context) future.Poll[struct{}] {
	if s.done {
		panic("reactor: Sleep polled after it was done or cancelled")
	}
	if s.now {
		s.done = true
		return future.Done(struct{}{})
	}
	tm := &s.r.timers
	tm.mu.Lock()
	switch {
	case !s.armed && tm.closed:
		tm.mu.Unlock()
		s.done = true
		return future.Done(struct{}{})
	case !s.armed:
		s.armed = true
		earliest := tm.add(&s.t, tm.since(s.when), cx.Waker()) == 0
		tm.mu.Unlock()
		if earliest {
			// A Park blocked on another goroutine is waiting with a
			// timeout that is now too long; make it look again.
			s.r.interrupt()
		}
		return future.Pending[struct{}]()
	case s.t.state == timerFired:
		tm.mu.Unlock()
		s.done = true
		return future.Done(struct{}{})
	}
	s.t.waker = cx.Waker() // the latest poll's waker is the one to wake
	tm.mu.Unlock()
	return future.Pending[struct{}]()
}

// ANCHOR_END: sleep-poll

// ANCHOR: sleep-cancel

// Cancel marks the timer cancelled, if it is still waiting.
func (s *sleep) Cancel() {
	s.done = true
	if !s.armed {
		return // never in the heap
	}
	tm := &s.r.timers
	tm.mu.Lock()
	if s.t.state == timerWaiting {
		tm.cancel(&s.t)
	}
	tm.mu.Unlock()
}

// ANCHOR_END: sleep-cancel

// ANCHOR_END: timers

// grow returns s with room for one more element: s itself while it has
// room, else a copy with twice the capacity. append grows a large slice
// by a quarter at a time (nextslicecap in runtime/slice.go), so that a
// slice grown one element at a time to n leaves old arrays of about 4n
// elements behind for the collector; doubling leaves about n.
func grow[E any](s []E) []E {
	if len(s) < cap(s) {
		return s
	}
	return append(make([]E, 0, max(2*cap(s), 8)), s...)
}
