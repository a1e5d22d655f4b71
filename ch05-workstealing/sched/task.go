package sched

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
)

var (
	// ErrAborted is what a JoinHandle reports for a task stopped by Abort
	// before it finished.
	ErrAborted = errors.New("sched: task aborted")

	// ErrShutdown is what a JoinHandle reports for a task that was still
	// pending when its Runtime shut down, or that was spawned after.
	ErrShutdown = errors.New("sched: runtime shut down")
)

// ANCHOR: state

// The bits of a task's state word. Every change to a task's life is one
// CAS on this word, as in tokio's task/state.rs, so that a wake, a poll
// and an abort racing on different goroutines always agree on who queues
// the task and who runs it.
const (
	notified  uint32 = 1 << iota // queued, or to be queued again after the poll
	running                      // a worker is polling it
	complete                     // done; the result is in the handle
	cancelled                    // Abort or Shutdown wants it stopped

	// The JoinHandle's side of the word.
	joinWaker // waiter holds the awaiting task's waker; the finisher owns it
	joined    // the handle's Poll has returned Done
)

// ANCHOR_END: state

// ANCHOR: header

// A header is the part of a task that the scheduler handles without
// knowing the task's result type: queues, wakers and the list of live
// tasks hold *header. It is the task's Waker too.
type header struct {
	state atomic.Uint32
	home  int32 // 1 + the worker whose live list holds it; 0 before, -1 after
	slot  int32 // its index in that list; both guarded by the list's mutex
	on    int32 // 1 + the worker polling it; 0 between polls
	rt    *Runtime
	self  runnable // the JoinHandle this header is part of
	next  *header  // link in the global queue or a grabbed batch
}

// runnable is what the scheduler needs from a JoinHandle[T].
type runnable interface {
	run(w *worker)       // poll once, or cancel, and settle the state
	stop(err error) bool // cancel without polling (Shutdown); false if done
}

// ANCHOR_END: header

// ANCHOR: notify

// notify records a wake-up in the state word and reports whether the
// caller must queue the task: only the wake that finds the task idle
// does. A wake while the task runs only sets notified, and the worker
// queues it again when the poll ends; a wake of a task already queued,
// or complete, does nothing.
func (h *header) notify() bool {
	for {
		s := h.state.Load()
		switch {
		case s&(notified|complete) != 0:
			return false
		case h.state.CompareAndSwap(s, s|notified):
			return s&running == 0
		}
	}
}

// Wake queues the task on the global queue, since the caller may be any
// goroutine, and wakes an idle worker if none is looking for work.
// Wakes from a worker that knows it is one take the local paths instead.
func (h *header) Wake() {
	if h.notify() {
		h.rt.inject(h) // if the runtime is shutting down, Shutdown stops h
	}
}

// ANCHOR_END: notify

// ANCHOR: handle

// A JoinHandle is a spawned task and the way to its result. It is a
// future, so a task can await another; BlockOn and Result give the
// result to ordinary code. The handle and the task are one allocation.
//
// Poll is for one awaiting task at a time: only the waker of the latest
// Poll is woken when the task finishes. Dropping a handle does not stop
// the task; Abort does.
type JoinHandle[T any] struct {
	h      header
	fut    future.Future[T]
	out    future.Result[T] // written once, before complete is set
	waiter future.Waker     // the latest Poll's waker; see joinWaker
}

// ANCHOR_END: handle

// newTask returns a task for f on rt, not yet on any list or queue.
func newTask[T any](rt *Runtime, f future.Future[T]) *JoinHandle[T] {
	t := &JoinHandle[T]{fut: f}
	t.h.rt, t.h.self = rt, t
	t.h.state.Store(notified) // it goes straight onto a queue
	return t
}

// ANCHOR: run

// run polls the task once on w, unless it has been cancelled, and then
// settles its state: complete, idle, or queued again on w because a wake
// arrived during the poll.
func (t *JoinHandle[T]) run(w *worker) {
	h := &t.h
	s := h.state.Load()
	for !h.state.CompareAndSwap(s, s&^notified|running) {
		s = h.state.Load()
	}
	if s&cancelled != 0 {
		t.cancel(w, ErrAborted)
		return
	}
	h.on = int32(w.id) + 1
	p, ok := t.poll(w)
	h.on = 0
	if !ok {
		return // the poll panicked or called Goexit; poll finished the task
	}
	if v, done := p.Value(); done {
		t.finish(w, future.Ok(v))
		return
	}
	if h.home == 0 && !w.live.add(h, w.id) {
		t.cancel(w, ErrShutdown) // pending as the runtime shuts down
		return
	}
	for {
		s := h.state.Load()
		if h.state.CompareAndSwap(s, s&^running) {
			if s&notified != 0 {
				w.pushBack(h) // woken while it ran: again, after the others
			}
			return
		}
	}
}

// ANCHOR_END: run

// ANCHOR: poll

// poll calls the future's Poll and reports ok = false if it did not
// return: it panicked, and the task is done with a *PanicError, or it
// called runtime.Goexit, and the task is done with executor.ErrGoexit
// while w moves to a fresh goroutine (Goexit ends this one).
func (t *JoinHandle[T]) poll(w *worker) (p future.Poll[T], ok bool) {
	defer func() {
		if !ok {
			t.h.on = 0
			t.fail(w, recover())
		}
	}()
	w.cx = *future.NewContext(&t.h)
	return t.fut.Poll(&w.cx), true
}

// fail finishes the task whose code did not return: with a *PanicError
// if it panicked with v, or with executor.ErrGoexit if v is nil (it
// called runtime.Goexit, which ends this goroutine: w, if any, moves).
func (t *JoinHandle[T]) fail(w *worker, v any) {
	if v != nil {
		t.finish(w, future.Err[T](panicked(v)))
		return
	}
	t.finish(w, future.Err[T](executor.ErrGoexit))
}

// ANCHOR_END: poll

// panicked is the error of a task, or a blocking job, whose code
// panicked with v: the value, and the stack where it was recovered.
func panicked(v any) error {
	return &executor.PanicError{Value: v, Stack: debug.Stack()}
}

// ANCHOR: finish

// finish makes the task complete with r, takes it off the live list and
// wakes the task awaiting it. On a worker (w != nil) a waiter that is a
// task of the same runtime goes into w's LIFO slot: it is likely to read
// what this task just wrote, so it should run next, on this core.
func (t *JoinHandle[T]) finish(w *worker, r future.Result[T]) {
	t.fut = nil // let the collector have the future
	t.out = r
	h := &t.h
	var s uint32
	for {
		s = h.state.Load()
		if h.state.CompareAndSwap(s, s&joinWaker|complete) {
			break
		}
	}
	h.rt.release(h)
	if s&joinWaker == 0 {
		return // nobody is waiting
	}
	waiter := t.waiter
	t.waiter = nil
	if w != nil && w.wakeNext(waiter) {
		return
	}
	h.rt.callWaker(waiter, nil)
}

// ANCHOR_END: finish

// stop cancels a task that no worker will run again, because the
// runtime is shutting down, and finishes it with err. It claims the task
// first, by setting running, so that of two goroutines stopping the same
// task only one cancels it; it reports whether this call did.
func (t *JoinHandle[T]) stop(err error) bool {
	h := &t.h
	for {
		s := h.state.Load()
		if s&(running|complete) != 0 {
			return false
		}
		if h.state.CompareAndSwap(s, s|running) {
			break
		}
	}
	t.cancel(nil, err)
	return true
}

// ANCHOR: cancel

// cancel calls the future's Cancel and finishes the task with err. The
// caller owns the task: it set running. Cancel is the future's code, as
// Poll is, and fail contains it the same way.
func (t *JoinHandle[T]) cancel(w *worker, err error) {
	ok := false
	defer func() {
		if !ok {
			t.fail(w, recover())
		}
	}()
	future.Cancel(t.fut)
	ok = true
	t.finish(w, future.Err[T](err))
}

// ANCHOR_END: cancel

// ANCHOR: join

// ANCHOR: join-poll

// Poll reports the task's result once it is done: its value, or the
// error that stopped it (a *executor.PanicError, executor.ErrGoexit,
// ErrAborted or ErrShutdown). Until then it is Pending, and the task
// wakes cx's waker when it finishes. Polling again after Done panics.
func (t *JoinHandle[T]) Poll(cx *future.Context) future.Poll[future.Result[T]] {
	h := &t.h
	s := h.state.Load()
	if s&joined != 0 {
		panic("sched: JoinHandle polled after it was done")
	}
	if s&joinWaker != 0 {
		// A waker from an earlier Poll is stored: take it back, so
		// that this Poll's waker can replace it (rule 2).
		for !h.state.CompareAndSwap(s, s&^joinWaker) {
			if s = h.state.Load(); s&complete != 0 {
				return t.joinDone()
			}
		}
	}
	if s&complete != 0 {
		return t.joinDone()
	}
	// Only this side writes waiter while joinWaker is clear, and the
	// finisher reads it only if it finds joinWaker set.
	t.waiter = cx.Waker()
	h.rt.hook(hookJoinWaiter)
	for {
		s = h.state.Load()
		if s&complete != 0 {
			t.waiter = nil
			return t.joinDone()
		}
		if h.state.CompareAndSwap(s, s|joinWaker) {
			return future.Pending[future.Result[T]]()
		}
	}
}

// ANCHOR_END: join-poll

// joinDone marks the handle joined and returns the result.
func (t *JoinHandle[T]) joinDone() future.Poll[future.Result[T]] {
	t.h.state.Or(joined)
	return future.Done(t.out)
}

// ANCHOR_END: join

// Result returns the task's value, or the error that stopped it, once it
// is done, or executor.ErrNotFinished before. It may be called from any
// goroutine, any number of times.
func (t *JoinHandle[T]) Result() (T, error) {
	if t.h.state.Load()&complete == 0 {
		var zero T
		return zero, executor.ErrNotFinished
	}
	return t.out.Get()
}

// ANCHOR: abort

// Abort asks the task to stop. If it has not finished, its future is not
// polled again: the worker that next takes the task from a queue calls
// its Cancel (see future.Canceler) and finishes it with ErrAborted. A
// poll already under way runs to its end first. Abort may be called from
// any goroutine, any number of times; after the task is done it does
// nothing.
func (t *JoinHandle[T]) Abort() {
	h := &t.h
	for {
		s := h.state.Load()
		if s&(complete|cancelled) != 0 {
			return
		}
		if h.state.CompareAndSwap(s, s|cancelled) {
			break
		}
	}
	h.Wake()
}

// ANCHOR_END: abort

// String describes the handle for debugging: the task's state bits.
func (t *JoinHandle[T]) String() string {
	s := t.h.state.Load()
	return fmt.Sprintf("task{notified=%t running=%t complete=%t cancelled=%t}",
		s&notified != 0, s&running != 0, s&complete != 0, s&cancelled != 0)
}
