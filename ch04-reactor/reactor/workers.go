package reactor

import "github.com/asyncbook/asyncbook/ch02-futures/future"

// This file is what a scheduler with many workers needs of the reactor
// beyond one executor's Park and TryPark (chapter 5): a turn that hands
// back its wakers, a turn that does not wait for another, and the lock
// that keeps a system call from reaching a descriptor Close has closed.

// ANCHOR: kernel

// kernel makes call, a system call on the poller's descriptors (add, del,
// wake; never the wait), unless the Reactor is closed: then it returns
// ErrClosed. It holds kernelMu for reading, which Close holds for
// writing while it closes those descriptors, so that no call reaches a
// closed descriptor, or a number the process has since reused. Calls from
// many goroutines run side by side; the kernel serialises them.
func (r *Reactor) kernel(call func(poller) error) error {
	r.kernelMu.RLock()
	defer r.kernelMu.RUnlock()
	if r.closed.Load() {
		return ErrClosed
	}
	return call(r.p)
}

// ANCHOR_END: kernel

// ANCHOR: turn-api

// Turn is Park (if block is set) or TryPark (if not) for a scheduler with
// many workers: instead of calling the wakers it collected, it appends them
// to wakers and returns the slice, so that the caller can queue the tasks
// behind them in one batch, on its own worker, and decide how many idle
// workers to wake. The caller owns the wakers and must wake (or otherwise
// schedule) every one of them. Turn shares Park's one-token protocol with
// Unpark, and like Park it is serialised: one turn at a time. A turn that
// must not block does not wait for another turn either: if one is under
// way (a worker may be asleep in it for as long as nothing happens),
// Turn(false) returns at once, having done nothing; that turn will hand
// out what is ready.
//
// A blocking Turn spends the token: an Unpark that comes while it is under
// way, even after its wait has returned, is answered by its return, and
// the next blocking Turn sleeps. So the caller must look at its queues
// again after Turn returns, before it takes another blocking turn: the
// work that Unpark announced is there.
func (r *Reactor) Turn(block bool, wakers []future.Waker) []future.Waker {
	if !block {
		if !r.parkMu.TryLock() {
			return wakers
		}
		defer r.parkMu.Unlock()
		return r.turn(false, wakers)
	}
	r.parkMu.Lock()
	defer r.parkMu.Unlock()
	wakers = r.park(wakers)
	r.token.Store(false) // whatever unparked us is answered: we return
	return wakers
}

// ANCHOR_END: turn-api

// ANCHOR: watching

// Watching reports whether the reactor has anything to watch: a
// registered descriptor, or a timer in the heap (cancelled or not). If it
// has neither, a turn that does not wait can find nothing but the
// cross-thread wake-up, which only ends a wait early. Watching makes no
// system call; it holds the table's lock and the timers' for a length
// each, which a worker can afford every 61 polls (Go's findRunnable
// reads netpollAnyWaiters, runtime/netpoll.go, for the same purpose).
// The answer may be out of date as soon as it is given: a Register or a
// Sleep may run at the same time.
func (r *Reactor) Watching() bool {
	r.regsMu.Lock()
	n := len(r.regs)
	r.regsMu.Unlock()
	if n > 0 {
		return true
	}
	r.timers.mu.Lock()
	n = len(r.timers.heap)
	r.timers.mu.Unlock()
	return n > 0
}

// ANCHOR_END: watching
