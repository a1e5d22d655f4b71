// Package naive is the executor everyone writes first: a queue of tasks,
// a loop that polls them, and a waker that pushes its task on the queue
// every time it is called. It works until a task is woken twice before it
// is polled, or woken after it finished. Chapter 3 shows it break, and
// package executor fixes it with a state per task.
package naive

import (
	"sync"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// ANCHOR: naive

// A task is a future and the executor it runs on. It is its own waker.
type task struct {
	f  future.Future[struct{}]
	ex *Executor
}

// Wake pushes the task on the queue, whatever the task is doing: queued
// already, being polled, or done. That is the flaw.
func (t *task) Wake() { t.ex.push(t) }

// An Executor runs tasks on the goroutine that calls Run.
type Executor struct {
	mu    sync.Mutex
	queue []*task
	woken chan struct{} // a one-token parker, as in chapter 3
	live  int           // tasks not yet done; Spawn and Run only
}

func (ex *Executor) push(t *task) {
	ex.mu.Lock()
	ex.queue = append(ex.queue, t)
	ex.mu.Unlock()
	select {
	case ex.woken <- struct{}{}:
	default:
	}
}

// ANCHOR_END: naive

// New returns an empty Executor.
func New() *Executor { return &Executor{woken: make(chan struct{}, 1)} }

// Spawn adds f as a task. Call it before Run, on Run's goroutine.
func (ex *Executor) Spawn(f future.Future[struct{}]) {
	ex.live++
	ex.push(&task{f: f, ex: ex})
}

// ANCHOR: naive-run

// Run polls tasks in the order they were queued until every task is
// done, and waits for a wake-up when the queue is empty.
func (ex *Executor) Run() {
	for ex.live > 0 {
		ex.mu.Lock()
		if len(ex.queue) == 0 {
			ex.mu.Unlock()
			<-ex.woken
			continue
		}
		t := ex.queue[0]
		ex.queue = ex.queue[1:]
		ex.mu.Unlock()
		if t.f.Poll(future.NewContext(t)).IsDone() {
			ex.live--
		}
	}
}

// ANCHOR_END: naive-run
