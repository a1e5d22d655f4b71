package sched

import (
	"sync"
	"sync/atomic"
)

// ANCHOR: ring

// ANCHOR: ring-type

// ringSize is the capacity of a worker's local queue, as in Go's P
// (runq [256]guintptr in runtime/runtime2.go).
const ringSize = 256

// A ring is a worker's local run queue: a bounded circular buffer that
// only its owner pushes to, and that the owner and thieves both take
// from. head and tail count forever and wrap; head == tail means empty.
// Slots are atomic so that a thief may read a slot that the owner is
// about to overwrite; the thief's CAS on head then fails and it discards
// what it read. This is runqput, runqget and runqgrab from
// runtime/proc.go.
type ring struct {
	head atomic.Uint32 // next slot to take: the owner and thieves CAS it
	tail atomic.Uint32 // next slot to fill: only the owner writes it
	buf  [ringSize]atomic.Pointer[header]
}

// ANCHOR_END: ring-type

// ANCHOR: ring-ops

// push adds h at the tail. Only the owner calls it. It reports false,
// having done nothing, if the ring is full.
func (q *ring) push(h *header) bool {
	t := q.tail.Load()
	if t-q.head.Load() >= ringSize {
		return false
	}
	q.buf[t%ringSize].Store(h)
	q.tail.Store(t + 1) // publishes the slot to thieves
	return true
}

// pop takes the task at the head, or returns nil if the ring is empty.
// Only the owner calls it; it races with thieves through the CAS.
func (q *ring) pop() *header {
	for {
		h, t := q.head.Load(), q.tail.Load()
		if h == t {
			return nil
		}
		x := q.buf[h%ringSize].Load()
		if q.head.CompareAndSwap(h, h+1) {
			return x
		}
	}
}

// ANCHOR_END: ring-ops

// ANCHOR_END: ring

// len is how many tasks the ring holds, as seen at one moment.
func (q *ring) len() uint32 { return q.tail.Load() - q.head.Load() }

// pushList adds the tasks linked from first through next at the tail,
// in order, and clears their links. One store to tail publishes them
// all (runqputbatch). Only the owner calls it, and only with as many
// tasks as the ring has room for.
func (q *ring) pushList(first *header) {
	t := q.tail.Load()
	for h := first; h != nil; t++ {
		next := h.next
		h.next = nil
		q.buf[t%ringSize].Store(h)
		h = next
	}
	q.tail.Store(t)
}

// ANCHOR: steal

// stealInto moves half of q's tasks (rounded up) to the tail of dst and
// returns one of them for the thief to run at once, or nil if q was
// empty. dst must be the thief's own ring, and empty: the tasks are copied
// into slots past dst's tail, which no one else reads, and published by
// one store to dst.tail. This is runqsteal and runqgrab.
func (q *ring) stealInto(dst *ring) *header {
	dt := dst.tail.Load()
	for {
		h, t := q.head.Load(), q.tail.Load()
		n := t - h
		n -= n / 2 // half, rounded up: a ring with one task gives it up
		if n == 0 {
			return nil
		}
		if n > ringSize/2 {
			continue // read head and tail at different times; again
		}
		for i := range n {
			dst.buf[(dt+i)%ringSize].Store(q.buf[(h+i)%ringSize].Load())
		}
		if !q.head.CompareAndSwap(h, h+n) {
			continue // the owner or another thief got there first
		}
		x := dst.buf[(dt+n-1)%ringSize].Load()
		if n > 1 {
			dst.tail.Store(dt + n - 1)
		}
		return x
	}
}

// ANCHOR_END: steal

// ANCHOR: overflow

// grabHalf takes the older half of a full ring, for its owner to move to
// the global queue (runqputslow). It returns them linked through next, or
// nil if thieves emptied part of the ring meanwhile; the owner then
// simply pushes again. The tasks are linked only once the CAS has made
// them ours: until then a thief may take them, and their next fields are
// its business.
func (q *ring) grabHalf() (first, last *header, n int32) {
	var batch [ringSize / 2]*header
	h, t := q.head.Load(), q.tail.Load()
	if t-h != ringSize {
		return nil, nil, 0
	}
	for i := range batch {
		batch[i] = q.buf[(h+uint32(i))%ringSize].Load()
	}
	if !q.head.CompareAndSwap(h, h+ringSize/2) {
		return nil, nil, 0
	}
	for i, x := range batch[:len(batch)-1] {
		x.next = batch[i+1]
	}
	batch[len(batch)-1].next = nil
	return batch[0], batch[len(batch)-1], ringSize / 2
}

// ANCHOR_END: overflow

// ANCHOR: global

// ANCHOR: global-push

// The global queue holds tasks that no worker owns yet: spawned or woken
// from outside the runtime, or moved out of a full ring. It is a linked
// list through header.next under one mutex (Go's sched.runq under
// sched.lock); n lets a worker see that it is empty without the lock.
type globalQueue struct {
	mu          sync.Mutex
	first, last *header
	n           atomic.Int32
	closed      bool // Shutdown has drained it for good
}

// push appends the list first..last of n tasks, unless the queue is
// closed: then it reports false and the caller still owns the tasks.
func (g *globalQueue) push(first, last *header, n int32) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	if g.last == nil {
		g.first = first
	} else {
		g.last.next = first
	}
	g.last = last
	g.n.Add(n)
	return true
}

// ANCHOR_END: global-push

// close empties the queue for good and returns what it held.
func (g *globalQueue) close() []*header {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	var hs []*header
	for h := g.first; h != nil; h = h.next {
		hs = append(hs, h)
	}
	g.first, g.last = nil, nil
	g.n.Store(0)
	return hs
}

// ANCHOR: global-pop

// popInto takes up to max tasks, and no more than dst has room for: it
// returns the first and puts the rest on dst, the caller's own ring.
// Only the unlinking is done under the mutex; the tasks go onto dst
// after, so a worker that moves half a full ring here meanwhile waits
// for a walk down a list, not for the pushes (globrunqgetbatch).
func (g *globalQueue) popInto(dst *ring, max int32) *header {
	if g.n.Load() == 0 {
		return nil
	}
	room := int32(ringSize - dst.len()) // only thieves change it now
	g.mu.Lock()
	x := g.first
	if x == nil {
		g.mu.Unlock()
		return nil
	}
	take := min(g.n.Load(), max, room+1)
	last := x
	for range take - 1 {
		last = last.next
	}
	g.first = last.next
	last.next = nil
	if g.first == nil {
		g.last = nil
	}
	g.n.Add(-take)
	g.mu.Unlock()
	rest := x.next
	x.next = nil
	dst.pushList(rest)
	return x
}

// ANCHOR_END: global-pop

// ANCHOR_END: global
