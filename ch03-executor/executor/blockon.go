package executor

import "github.com/asyncbook/asyncbook/ch02-futures/future"

// ANCHOR: parker

// A Parker puts the executor's goroutine to sleep when it has nothing to
// poll, and wakes it again.
//
// Park blocks until Unpark has been called at least once since the last
// Park returned; if Unpark came first, Park returns at once. That memory of
// one pending Unpark is what makes a wake-up that arrives between a poll and
// the Park impossible to lose. Park may also return early for no reason (a
// spurious wake-up); callers poll again and Park again.
//
// Unpark may be called from any goroutine, any number of times, and never
// blocks. Chapter 4's reactor is a Parker that sleeps in epoll_wait or
// kevent instead of on a channel.
type Parker interface {
	Park()
	Unpark()
}

// ANCHOR_END: parker

// ANCHOR: tryparker

// A TryParker is a Parker that can also take a turn without sleeping:
// TryPark delivers whatever wake-ups are ready now (I/O that has become
// ready, timers that are due) and returns at once. A Parker whose wake-ups
// come only from Park needs it: Run parks only when its queue is empty, so
// while tasks keep it busy, Run calls TryPark every so often instead (see
// Executor.Run). Chapter 4's reactor is one.
type TryParker interface {
	Parker
	TryPark()
}

// ANCHOR_END: tryparker

// ANCHOR: chanparker

// chanParker is the simplest correct Parker: a channel with room for one
// token. Unpark puts the token in if it is not there already; Park takes it
// out, waiting if it has to.
type chanParker struct {
	token chan struct{}
}

// NewParker returns a Parker that parks the goroutine on a channel.
func NewParker() Parker {
	return &chanParker{token: make(chan struct{}, 1)}
}

func (p *chanParker) Park() { <-p.token }

func (p *chanParker) Unpark() {
	select {
	case p.token <- struct{}{}:
	default: // a token is already waiting; one is enough
	}
}

// ANCHOR_END: chanparker

// ANCHOR: blockon

// BlockOn runs f to completion on the calling goroutine and returns its
// value. Between polls it parks the goroutine until f's waker fires, so it
// never spins.
func BlockOn[T any](f future.Future[T]) T {
	return BlockOnWith(NewParker(), f)
}

// BlockOnWith is BlockOn with the Parker p, which decides how the goroutine
// sleeps between polls. The waker handed to f unparks p.
func BlockOnWith[T any](p Parker, f future.Future[T]) T {
	cx := future.NewContext(future.WakerFunc(p.Unpark))
	for {
		if v, done := f.Poll(cx).Value(); done {
			return v
		}
		p.Park()
	}
}

// ANCHOR_END: blockon
