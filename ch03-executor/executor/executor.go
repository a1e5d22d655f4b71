package executor

import (
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// ANCHOR: states

// A task's state lives in one atomic word, as in tokio's task harness. Run
// moves a task between the states; a waker only ever asks for a move, with
// one compare-and-swap, and never polls anything itself.
//
//	idle      -> scheduled  Wake: the task goes on the run queue, once.
//	scheduled -> running    Run takes it off the queue to poll it.
//	running   -> notified   Wake during the poll: remember it, queue nothing.
//	running   -> idle       the poll returned Pending and nobody woke it.
//	notified  -> scheduled  the poll returned Pending after a wake: re-queue.
//	running   -> done       the poll returned Done, or panicked.
//
// Wake in any other state (scheduled, notified, done) changes nothing: the
// task is already sure to be polled again, or will never be polled again.
const (
	idle      uint32 = iota // waiting for a wake; not on the queue
	scheduled               // on the run queue, exactly once
	running                 // being polled by Run
	notified                // being polled, and woken since the poll began
	done                    // finished; its future is gone
)

// ANCHOR_END: states

// ANCHOR: executor

// An Executor runs tasks, each one a future, on the goroutine that calls
// Run. It polls a task when the task is woken, and parks on its Parker when
// no task can make progress.
//
// Who may call what:
//   - Run: one goroutine at a time. A second, concurrent Run panics.
//   - Spawn: any goroutine. Before Run, or from inside a task, the task is
//     queued for this Run. From another goroutine while Run is running, it
//     is queued and Run is unparked; if Run has already returned (because
//     every earlier task was done), the task waits for the next Run.
//   - A task's waker: any goroutine, any time, as often as it likes,
//     including after the task is done.
//
// The zero Executor is not usable; call New or NewWith.
type Executor struct {
	parker  Parker
	live    atomic.Int64 // tasks spawned and not yet done
	running atomic.Bool  // Run is in progress

	batch []*task // the tasks Run is polling now; only Run touches it
	ticks uint64  // polls made by Run, for turnEvery; only Run touches it

	mu       sync.Mutex
	queue    []*task // tasks in the scheduled state, in wake order
	sleeping bool    // Run found the queue empty and is parking, or about to
}

// ANCHOR_END: executor

// New returns an Executor that parks on a channel (NewParker) when no task
// is ready.
func New() *Executor { return NewWith(NewParker()) }

// NewWith returns an Executor that parks on p when no task is ready. Chapter
// 4 passes its reactor, so that parking means waiting for I/O and timers.
func NewWith(p Parker) *Executor { return &Executor{parker: p} }

// A task is what the executor holds for one spawned future: its state, and a
// way to poll it that does not depend on the future's type.
type task struct {
	ex    *Executor
	state atomic.Uint32
	cx    *future.Context // the task's own waker is the task itself
	body  body
}

// A body is the typed half of a task: its JoinHandle.
type body interface {
	// poll polls the task's future once and reports whether it is done.
	// A panic in the future is caught and makes the task done.
	poll(cx *future.Context) bool
}

// ANCHOR: wake

// Wake asks for the task to be polled again. It may be called from any
// goroutine, any number of times, and never blocks for longer than it takes
// to append to the run queue. A task is on the queue at most once however
// often it is woken, and a task that is being polled is re-queued after the
// poll, never polled twice at once.
func (t *task) Wake() {
	for {
		switch s := t.state.Load(); s {
		case idle:
			if t.state.CompareAndSwap(idle, scheduled) {
				t.ex.push(t)
				return
			}
		case running:
			if t.state.CompareAndSwap(running, notified) {
				return // Run re-queues it when the poll returns
			}
		default: // scheduled, notified or done: nothing to do
			return
		}
		// The state changed under us; look again.
	}
}

// push appends t, which the caller has just moved to scheduled, to the run
// queue, and unparks Run if Run is parked or about to park.
func (ex *Executor) push(t *task) {
	ex.mu.Lock()
	ex.queue = append(ex.queue, t)
	wake := ex.sleeping
	ex.sleeping = false
	ex.mu.Unlock()
	if wake {
		ex.parker.Unpark()
	}
}

// ANCHOR_END: wake

// ANCHOR: spawn

// Spawn hands f to ex as a new task and returns a handle to its result.
// The task is polled for the first time by Run, never by Spawn. Spawn may be
// called from any goroutine; see Executor for when the task runs.
func Spawn[T any](ex *Executor, f future.Future[T]) *JoinHandle[T] {
	if f == nil {
		panic("executor: Spawn called with a nil future")
	}
	h := &JoinHandle[T]{fut: f}
	h.task.ex = ex
	h.task.body = h
	h.task.cx = future.NewContext(&h.task)
	h.task.state.Store(scheduled)
	ex.live.Add(1)
	ex.push(&h.task)
	return h
}

// ANCHOR_END: spawn

// ANCHOR: run

// Run polls tasks until every task spawned on ex is done, and then returns.
// It polls the tasks that are ready in the order they were woken; when none
// is ready it parks on ex's Parker until a waker pushes a task. Run calls
// Poll only on its own goroutine, and never polls a task twice at once.
// If the Parker is a TryParker, Run also gives it a turn that does not
// sleep after every eventInterval polls (see turnEvery).
//
// Run blocks forever if a task stays pending and nothing will ever wake it,
// just as sync.WaitGroup.Wait does if Done is never called. A panic in a
// task does not stop Run: the task is done, and its JoinHandle reports a
// *PanicError. A task that calls runtime.Goexit ends Run's goroutine; the
// task is done with ErrGoexit, and the rest wait for the next Run. Run may
// be called again after it returns.
func (ex *Executor) Run() {
	if !ex.running.CompareAndSwap(false, true) {
		panic("executor: Run called while another Run is running")
	}
	defer ex.stopped()

	for {
		more := ex.take()
		if !more {
			return // every task is done
		}
		if len(ex.batch) == 0 {
			ex.parker.Park() // a push unparks us; so may nothing at all
			continue
		}
		for i, t := range ex.batch {
			ex.batch[i] = nil // polled, or being polled: not ours to requeue
			ex.poll(t)
			ex.turnEvery()
		}
		ex.batch = ex.batch[:0]
	}
}

// ANCHOR_END: run

// ANCHOR: take

// take moves every queued task into ex.batch, which must be empty. If the
// queue is empty it leaves the batch empty, having marked Run as sleeping
// so that the next push unparks it. It reports more == false if no task is
// left at all.
func (ex *Executor) take() (more bool) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	if len(ex.queue) > 0 {
		// Swap slices instead of copying: the queue keeps the batch's
		// old array to append to, and the batch takes the queue's.
		ex.batch, ex.queue = ex.queue, ex.batch
		ex.sleeping = false
		return true
	}
	if ex.live.Load() == 0 {
		return false
	}
	// Decided under mu, so a push after this sees sleeping and unparks
	// us: a wake between our look at the queue and Park is not lost.
	ex.sleeping = true
	return true
}

// ANCHOR_END: take

// ANCHOR: poll

// poll polls one scheduled task and moves it to its next state.
func (ex *Executor) poll(t *task) {
	// Only Run leaves the scheduled state, so a plain store is enough;
	// Wake may read it concurrently, and it is atomic for that.
	t.state.Store(running)
	exited := true
	defer func() {
		if exited { // runtime.Goexit in the task: it is done (ErrGoexit)
			ex.retire(t)
		}
	}()
	finished := t.body.poll(t.cx)
	exited = false
	if finished {
		ex.retire(t)
		return
	}
	if t.state.CompareAndSwap(running, idle) {
		return // pending; a later Wake queues it
	}
	// Woken while it ran (notified): poll it again, after the others.
	t.state.Store(scheduled)
	ex.push(t)
}

// ANCHOR_END: poll

// retire marks t done: a wake now, or a notified one, is dropped.
func (ex *Executor) retire(t *task) {
	t.state.Store(done)
	t.body = nil // nothing left to poll; let the future go
	ex.live.Add(-1)
}

// ANCHOR: turn

// eventInterval is how many polls Run makes between two turns of a
// TryParker. It is tokio's default event_interval, 61: often enough that a
// timer or a socket waits for at most 61 polls of other tasks, rarely
// enough that the system call it costs is lost among them. Go's scheduler
// does the same job differently: findRunnable polls the network without
// blocking (netpoll(0)) when a P runs out of local work, and sysmon polls
// it if nobody has for 10ms (runtime/proc.go).
const eventInterval = 61

// turnEvery counts one poll and, every eventInterval polls, gives the
// Parker a turn that does not sleep, if it has one (TryParker). Without
// it, a task that keeps waking itself (future.Yield in a loop) would keep
// the queue from ever being empty, Run would never park, and a parker that
// delivers I/O and timers only when parked would never deliver them.
func (ex *Executor) turnEvery() {
	ex.ticks++
	if ex.ticks%eventInterval != 0 {
		return
	}
	if tp, ok := ex.parker.(TryParker); ok {
		tp.TryPark()
	}
}

// ANCHOR_END: turn

// ANCHOR: stopped

// stopped runs when Run returns, or when a task's runtime.Goexit ends
// Run's goroutine. In that case the tasks still in the batch were taken off
// the queue but never polled; it puts them back at its front, so that the
// next Run polls them.
func (ex *Executor) stopped() {
	ex.mu.Lock()
	rest := slices.DeleteFunc(ex.batch, func(t *task) bool { return t == nil })
	ex.queue = append(rest, ex.queue...)
	ex.batch = nil
	ex.mu.Unlock()
	ex.running.Store(false)
}

// ANCHOR_END: stopped

// ANCHOR: joinhandle

// ANCHOR: joinhandle-poll

// A JoinHandle is the result of a spawned task. It is a future, so one task
// can await another; after Run returns, Result gives the result directly.
//
// Poll is for one awaiting task at a time: as rule 2 of package future says,
// only the waker from the latest Poll is woken when the task finishes. A
// handle that is abandoned does not stop its task; the task runs on.
type JoinHandle[T any] struct {
	task task
	fut  future.Future[T] // touched only by Run's goroutine; nil once done

	mu       sync.Mutex
	finished bool
	result   future.Result[T]
	waiter   future.Waker // the latest awaiting task's waker
	taken    bool         // Poll has returned Done
}

// Poll reports the task's result once it is done: its value, or a
// *PanicError if it panicked. Until then it is Pending, and the task wakes
// cx's waker when it finishes. Poll may be called from any goroutine, even
// one that runs another executor; polling again after Done panics.
func (h *JoinHandle[T]) Poll(cx *future.Context) future.Poll[future.Result[T]] {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.taken {
		panic("executor: JoinHandle polled after it was done")
	}
	if !h.finished {
		h.waiter = cx.Waker()
		return future.Pending[future.Result[T]]()
	}
	h.taken, h.waiter = true, nil
	return future.Done(h.result)
}

// ANCHOR_END: joinhandle-poll

// ErrNotFinished is the error Result returns for a task that is not done.
var ErrNotFinished = errors.New("executor: task has not finished")

// ErrGoexit is the error a JoinHandle reports for a task whose future
// called runtime.Goexit (t.FailNow in a test does). Goexit cannot be
// stopped: it ends the goroutine that called Run. The task is done, and
// the tasks Run had not yet polled stay queued for the next Run.
var ErrGoexit = errors.New("executor: task called runtime.Goexit")

// Result returns the task's value, or the error that stopped it: a
// *PanicError if it panicked, or ErrNotFinished if it is not done yet (Run
// has not been called, or has not returned). It may be called from any
// goroutine, any number of times.
func (h *JoinHandle[T]) Result() (T, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.finished {
		var zero T
		return zero, ErrNotFinished
	}
	return h.result.Get()
}

// ANCHOR: joinhandle-finish

// poll polls the task's future once, on Run's goroutine. When the future is
// done, or panics, it records the result and wakes the awaiting task.
func (h *JoinHandle[T]) poll(cx *future.Context) (finished bool) {
	var r future.Result[T]
	returned := false
	defer func() {
		if v := recover(); v != nil {
			r = future.Err[T](&PanicError{Value: v, Stack: debug.Stack()})
			finished = true
		} else if !returned { // runtime.Goexit, which recover cannot stop
			r = future.Err[T](ErrGoexit)
			finished = true
		}
		if finished {
			if !returned {
				cancelQuietly(h.fut) // release what the broken future holds
			}
			h.fut = nil
			h.finish(r)
		}
	}()
	v, ok := h.fut.Poll(cx).Value()
	returned = true
	if ok {
		r = future.Ok(v)
	}
	return ok
}

// ANCHOR_END: joinhandle-finish

// ANCHOR: finish

// finish records r and wakes the task awaiting the handle, if any.
func (h *JoinHandle[T]) finish(r future.Result[T]) {
	h.mu.Lock()
	h.finished, h.result = true, r
	w := h.waiter
	h.waiter = nil
	h.mu.Unlock()
	if w != nil {
		w.Wake() // outside the lock: the waker may be anything
	}
}

// ANCHOR_END: finish

// ANCHOR_END: joinhandle

// cancelQuietly cancels f, which has just panicked. A future that broke in
// the middle of a poll may break again when cancelled; that second panic is
// swallowed, because the first is the one the JoinHandle reports.
func cancelQuietly(f any) {
	defer func() { _ = recover() }()
	future.Cancel(f)
}

// ANCHOR: panicerror

// A PanicError is the error a JoinHandle reports for a task whose future
// panicked. The executor recovers the panic, so the other tasks run on.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the goroutine's stack where the panic was recovered
}

// Error returns "task panicked: " followed by the panic value.
func (e *PanicError) Error() string {
	return fmt.Sprintf("task panicked: %v", e.Value)
}

// ANCHOR_END: panicerror
