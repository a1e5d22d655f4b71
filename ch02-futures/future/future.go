// Package future is the book's model of a Rust-style future, written in Go.
//
// A future is a value that will be produced later. It does nothing on its
// own: somebody must poll it. Each call to Poll either finishes the work and
// returns the value (Done), or makes what progress it can and reports that it
// is not finished yet (Pending). Everything else in this book (executors,
// reactors, work-stealing schedulers, TCP servers) is machinery for deciding
// when to call Poll again.
//
// # The contract
//
// The whole book rests on four rules. Every future and every executor in it
// keeps them.
//
//  1. A future that returns Pending must already have arranged for the waker
//     in the Context it was polled with to be woken when progress is
//     possible. Returning Pending without that arrangement is a lost wake-up:
//     the task sleeps forever. (A future that returns Pending because a child
//     returned Pending has kept the rule by passing its Context down.)
//  2. Only the most recent waker counts. A future may be polled with a
//     different Context each time, and must wake the waker from the latest
//     poll.
//  3. Polling a future again after it returned Done is a bug in the caller.
//     The futures in this package panic with a message that says so, rather
//     than returning a stale or zero value that would hide the bug.
//  4. A waker may be woken from any goroutine, at any time, any number of
//     times, including after the task has finished. Waking is cheap and never
//     blocks; it only asks for a later poll.
//
// Poll itself is not safe for concurrent use. A future belongs to one task,
// and the task's executor polls it from one goroutine at a time; only Wake
// crosses from goroutine to goroutine.
//
// # Combinators
//
// [Func] turns a function into a future; [Ready] is a future that is done at
// once. [Map] and [Then] run one future after another; [Join], [TryJoin] and
// [Select] run several at once, inside one task, by polling each of them in
// turn. Each is a small state machine that keeps the four rules: it passes
// the Context it was polled with straight down to its children, it never
// polls a child that has finished, and it panics if it is itself polled
// after it was done or cancelled.
//
// # Errors
//
// A future that can fail produces a [Result]: Future[Result[T]] carries a
// value or an error, in the same way a Go function returns (T, error). The
// fail-fast combinator [TryJoin] and every later chapter use this one shape.
//
// # Abandoning a future
//
// Rust runs a destructor when a future is dropped; Go has none. Memory is
// reclaimed by the garbage collector, but a future may hold something the
// collector cannot see: a timer in a heap, interest registered with the
// kernel. A future that holds such a thing implements [Canceler], and whoever
// abandons it before it is done calls [Cancel]. The combinators in this
// package forward Cancel to the children they still hold: [Select] cancels
// the losers, [TryJoin] cancels the rest when one child fails, and
// cancelling a combinator cancels every child it has not yet seen finish.
package future

import "fmt"

// ANCHOR: poll

// Poll is the result of polling a future once: either pending, or done
// with a value. The zero Poll is pending.
type Poll[T any] struct {
	done  bool
	value T
}

// Pending returns a Poll that reports the future is not finished yet.
func Pending[T any]() Poll[T] { return Poll[T]{} }

// Done returns a Poll that reports the future finished with v.
func Done[T any](v T) Poll[T] { return Poll[T]{done: true, value: v} }

// IsDone reports whether the future finished.
func (p Poll[T]) IsDone() bool { return p.done }

// Value returns the future's value and true if it finished, or the zero
// value and false if it is still pending.
func (p Poll[T]) Value() (T, bool) { return p.value, p.done }

// ANCHOR_END: poll

// String formats p as "Pending" or "Done(v)", for examples and tests.
func (p Poll[T]) String() string {
	if !p.done {
		return "Pending"
	}
	return fmt.Sprintf("Done(%v)", p.value)
}

// ANCHOR: future

// A Future is a value that will be produced later, by repeated calls to
// Poll. See the package documentation for the rules Poll must keep.
type Future[T any] interface {
	Poll(cx *Context) Poll[T]
}

// A Waker tells an executor that a task can make progress and should be
// polled again. Wake may be called from any goroutine, any number of times,
// and must not block.
type Waker interface {
	Wake()
}

// A Context carries what a future needs while it is being polled: today,
// only the waker of the task that is polling it.
type Context struct {
	waker Waker
}

// NewContext returns a Context whose waker is w.
func NewContext(w Waker) *Context { return &Context{waker: w} }

// Waker returns the waker of the task that is polling.
func (cx *Context) Waker() Waker { return cx.waker }

// ANCHOR_END: future

// WakerFunc adapts an ordinary function to the Waker interface.
type WakerFunc func()

// Wake calls f.
func (f WakerFunc) Wake() { f() }

// NoopWaker is a Waker that does nothing. It is useful for driving a future
// by hand when the caller polls again anyway, as a busy loop does.
var NoopWaker Waker = WakerFunc(func() {})

// ANCHOR: result

// Result is the value of a future that can fail: a value, or an error.
// A Future[Result[T]] is the asynchronous form of a function that returns
// (T, error).
type Result[T any] struct {
	Value T
	Err   error
}

// Ok returns a successful Result holding v.
func Ok[T any](v T) Result[T] { return Result[T]{Value: v} }

// Err returns a failed Result holding err.
func Err[T any](err error) Result[T] { return Result[T]{Err: err} }

// Get returns the result in Go's usual (value, error) form.
func (r Result[T]) Get() (T, error) { return r.Value, r.Err }

// ANCHOR_END: result

// ANCHOR: cancel

// A Canceler is a future that holds something the garbage collector cannot
// release by itself, such as a timer or a registration with the kernel.
// Cancel releases it. Whoever abandons such a future before it is done must
// call Cancel; calling it after the future is done, or twice, is harmless.
type Canceler interface {
	Cancel()
}

// Cancel abandons f: if f implements Canceler, Cancel calls its Cancel
// method; otherwise there is nothing to release and it does nothing.
func Cancel(f any) {
	if c, ok := f.(Canceler); ok {
		c.Cancel()
	}
}

// ANCHOR_END: cancel

// pollAfterDone is the panic message for rule 3 of the contract.
const pollAfterDone = "future: Poll called after the future was done"

// pollAfterCancel is the panic message for polling a combinator after
// Cancel: its children are gone, so there is nothing left to poll.
const pollAfterCancel = "future: Poll called after the future was cancelled"
