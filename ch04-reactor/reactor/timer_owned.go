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
// a future does; it must not be copied once armed.
type Timer struct {
	t     timer
	armed bool // since Arm, until Poll reports it fired or Stop; owner's
}

// Arm makes t fire once d has passed, and wake cx's waker then (or the
// waker of a later Poll). A t still armed is stopped first. On a closed
// Reactor, t fires at once, as a Sleep ends early.
func (t *Timer) Arm(r *Reactor, d time.Duration, cx *future.Context) {
	tm := &r.timers
	tm.mu.Lock()
	if t.armed && t.t.state == timerWaiting {
		tm.cancel(&t.t)
	}
	if t.t.state == timerCancelled {
		tm.drop(&t.t) // a timer has at most one entry in the heap
	}
	t.armed = true
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

// Poll reports whether t, armed, has fired; then t is no longer armed.
// If it has not, cx's waker is the one it will wake. Polling a t that is
// not armed panics.
func (t *Timer) Poll(r *Reactor, cx *future.Context) (fired bool) {
	if !t.armed {
		panic("reactor: Timer polled while not armed")
	}
	tm := &r.timers
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if t.t.state == timerFired {
		t.armed = false
		return true
	}
	t.t.waker = cx.Waker()
	return false
}

// Armed reports whether t is armed: since Arm, and until Poll reports
// that it fired or Stop.
func (t *Timer) Armed() bool { return t.armed }

// Stop disarms t, so that it never fires. It does nothing to a t that is
// not armed.
func (t *Timer) Stop(r *Reactor) {
	if !t.armed {
		return
	}
	t.armed = false
	tm := &r.timers
	tm.mu.Lock()
	if t.t.state == timerWaiting {
		tm.cancel(&t.t)
	}
	tm.mu.Unlock()
}

// ANCHOR_END: owned-timer

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
