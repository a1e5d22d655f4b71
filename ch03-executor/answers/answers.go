// Package answers holds answers to the exercises of chapter 3, as code
// that go test checks. The book's answers appendix includes it by anchor.
package answers

import (
	"sync/atomic"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
)

// ANCHOR: ex1

// SpawnBlocking runs fn on a goroutine of its own and returns a future
// that is done with fn's result (exercise 1). The goroutine may block as
// long as it likes: the executor's goroutine only ever polls the Promise,
// which never waits, and Set wakes the task that awaits it.
func SpawnBlocking[T any](fn func() T) future.Future[T] {
	p := new(future.Promise[T])
	go func() { p.Set(fn()) }()
	return p
}

// ANCHOR_END: ex1

// ANCHOR: ex2-1

// Eager wraps f so that a wake that f gives itself during its own poll
// makes Eager poll f again at once, up to limit times in one poll, instead
// of letting the executor queue the task behind the others (exercise 2).
// A future that always wakes itself then keeps the executor's goroutine
// for limit polls at a time, and every other task waits; with no limit it
// would wait forever.
func Eager[T any](f future.Future[T], limit int) future.Future[T] {
	return &eager[T]{f: f, limit: limit}
}

type eager[T any] struct {
	f     future.Future[T]
	limit int
	state atomic.Int32 // notPolling, polling or wokeWhilePolling
	outer atomic.Value // a wakerBox: the waker of Eager's own task
}

// An eager future's states. Wake and Poll each decide with one atomic
// step, so a wake that lands as a poll ends is either seen by Poll or
// passed on to the task, never dropped.
const (
	notPolling int32 = iota
	polling
	wokeWhilePolling
)

// wakerBox keeps one concrete type in eager.outer, whatever the waker.
type wakerBox struct{ w future.Waker }

func (e *eager[T]) Wake() {
	if e.state.CompareAndSwap(polling, wokeWhilePolling) {
		return // Poll will poll f again at once
	}
	e.outer.Load().(wakerBox).w.Wake() // a wake from outside the poll
}

// ANCHOR_END: ex2-1

// ANCHOR: ex2-2

func (e *eager[T]) Poll(cx *future.Context) future.Poll[T] {
	e.outer.Store(wakerBox{cx.Waker()})
	inner := future.NewContext(e)
	for range e.limit {
		e.state.Store(polling)
		p := e.f.Poll(inner)
		if e.state.Swap(notPolling) != wokeWhilePolling || p.IsDone() {
			return p
		}
	}
	cx.Waker().Wake() // limit reached: let the executor queue us again
	return future.Pending[T]()
}

// ANCHOR_END: ex2-2

// ANCHOR: ex3-1

// BlockOn is executor.BlockOn that makes no Parker for a future that is
// done on its first poll (exercise 3). Until the Parker exists, a wake is
// only recorded; attach, which installs the Parker, looks at that record
// after publishing the Parker, and Wake looks at the Parker after making
// the record. With sequentially consistent atomics one of them sees the
// other, so a wake from another goroutine is never lost.
func BlockOn[T any](f future.Future[T]) T {
	w := new(lazyWaker)
	cx := future.NewContext(w)
	if v, ok := f.Poll(cx).Value(); ok {
		return v
	}
	p := executor.NewParker()
	w.attach(p)
	for {
		p.Park()
		if v, ok := f.Poll(cx).Value(); ok {
			return v
		}
	}
}

// lazyWaker is a waker whose Parker arrives later.
type lazyWaker struct {
	woken  atomic.Bool
	parker atomic.Pointer[executor.Parker]
}

func (w *lazyWaker) Wake() {
	w.woken.Store(true)
	if p := w.parker.Load(); p != nil {
		(*p).Unpark()
	}
}

// ANCHOR_END: ex3-1

// ANCHOR: ex3-2

func (w *lazyWaker) attach(p executor.Parker) {
	w.parker.Store(&p)
	if w.woken.Load() {
		p.Unpark() // woken before the Parker existed: leave its token
	}
}

// ANCHOR_END: ex3-2
