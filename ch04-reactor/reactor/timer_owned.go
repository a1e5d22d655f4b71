package reactor

import (
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// ANCHOR: owned-timer

// A Timer is a timer in memory its owner keeps, armed again and again:
// what a Sleep future holds, without the future. A connection's idle
// timeout keeps one in the connection, so that arming it allocates
// nothing. The zero Timer is not armed. A Timer belongs to one task, as
// a future does, which remembers whether it armed it (a Timer holds no
// flag for that, so that a struct can keep the flag with its own); it
// must not be copied once armed.
type Timer struct {
	t timer
}

// Arm makes t fire once d has passed, and wake cx's waker then (or the
// waker of a later Poll). A t still armed is stopped first. On a closed
// Reactor, t fires at once, as a Sleep ends early.
func (t *Timer) Arm(r *Reactor, d time.Duration, cx *future.Context) {
	tm := &r.timers
	tm.mu.Lock()
	if t.t.state == timerWaiting {
		tm.cancel(&t.t)
	}
	if t.t.state == timerCancelled {
		tm.drop(&t.t) // a timer has at most one entry in the heap
	}
	if tm.closed {
		t.t = timer{state: timerFired}
		tm.mu.Unlock()
		return
	}
	earliest := tm.add(&t.t, tm.since(time.Now().Add(d)), cx.Waker()) == 0
	tm.mu.Unlock()
	if earliest {
		r.interrupt() // as in Sleep's Poll
	}
}

// ANCHOR_END: owned-timer

// Poll reports whether t, armed, has fired; if it has not, cx's waker is
// the one it will wake. Poll t only between Arm and the Poll that
// reports it fired (or Stop).
func (t *Timer) Poll(r *Reactor, cx *future.Context) (fired bool) {
	tm := &r.timers
	tm.mu.Lock()
	defer tm.mu.Unlock()
	switch t.t.state {
	case timerFired:
		return true
	case timerWaiting:
		t.t.waker = cx.Waker()
		return false
	}
	panic("reactor: Timer polled while not armed")
}

// Stop disarms t, so that it never fires. It does nothing to a t that is
// not armed, or has fired.
func (t *Timer) Stop(r *Reactor) {
	tm := &r.timers
	tm.mu.Lock()
	if t.t.state == timerWaiting {
		tm.cancel(&t.t)
	}
	tm.mu.Unlock()
}

// drop takes t's cancelled entry out of the heap, if it is still there,
// so that t may be armed again (add's rule). It searches the heap, in
// O(n): only a Timer armed again after Stop needs it. The caller holds
// tm.mu.
func (tm *timers) drop(t *timer) {
	for i, e := range tm.heap {
		if e.t != t {
			continue
		}
		last := len(tm.heap) - 1
		tm.heap[i] = tm.heap[last]
		tm.heap[last] = timerWhen{}
		tm.heap = tm.heap[:last]
		tm.cancelled--
		tm.heap.init()
		return
	}
}
