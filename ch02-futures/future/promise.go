package future

import "sync"

// ANCHOR: promise

// ANCHOR: promise-type

// A Promise is a future that another goroutine completes. Set(v) makes it
// done with v and wakes the task that polled it. It is how work outside the
// executor (a goroutine, a callback, a kernel event) hands a value to a
// task, and the smallest future that keeps rule 1 against a waker on
// another goroutine: Poll looks for the value and stores its waker under one
// lock, so a Set that races with a Poll is either seen by that Poll or finds
// its waker.
//
// The zero Promise is pending and ready to use. A Promise must not be
// copied after first use.
type Promise[T any] struct {
	mu    sync.Mutex
	set   bool  // Set has been called
	value T     // what Set was called with
	waker Waker // the latest poll's waker, until Set takes it
	done  bool  // Poll has returned Done
}

// Poll is done with the value once Set has been called; until then it
// keeps cx's waker, replacing the one from any earlier poll.
func (p *Promise[T]) Poll(cx *Context) Poll[T] {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.done:
		panic(pollAfterDone)
	case p.set:
		p.done = true
		return Done(p.value)
	}
	p.waker = cx.Waker()
	return Pending[T]()
}

// ANCHOR_END: promise-type

// ANCHOR: promise-set

// Set completes the promise with v and wakes its poller, if it has one,
// after letting go of the lock. It may be called from any goroutine. Only
// the first Set counts: it reports whether this call was that one.
func (p *Promise[T]) Set(v T) bool {
	p.mu.Lock()
	if p.set {
		p.mu.Unlock()
		return false
	}
	p.set, p.value = true, v
	w := p.waker
	p.waker = nil
	p.mu.Unlock()
	if w != nil {
		w.Wake()
	}
	return true
}

// ANCHOR_END: promise-set

// ANCHOR_END: promise
