package sched

import (
	"sync"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
)

// defaultBlockingThreads bounds the blocking pool. A blocking call holds
// a whole goroutine (and an OS thread while it is in the kernel), so the
// pool is large compared with the workers, but bounded: tokio's default
// is 512 threads.
const defaultBlockingThreads = 64

// ANCHOR: blocking

// SpawnBlocking runs fn on rt's blocking pool, a bounded set of
// goroutines apart from the workers, and returns a future of its result.
// It is for work that would hold a worker hostage: a read of a regular
// file (which no reactor can make non-blocking), a DNS lookup through the
// C library, a long computation. The future may be awaited from any task.
// fn runs to its end once started; a panic in it becomes a
// *executor.PanicError, and runtime.Goexit executor.ErrGoexit. If rt
// shuts down before fn starts, fn never runs and the future is done with
// ErrShutdown.
func SpawnBlocking[T any](rt *Runtime,
	fn func() (T, error)) future.Future[future.Result[T]] {
	p := new(future.Promise[future.Result[T]])
	set := func(r future.Result[T]) {
		ok := false
		defer func() { // Set wakes the awaiting task: its waker may fail
			if !ok {
				rt.stray(recover())
			}
		}()
		p.Set(r)
		ok = true
	}
	rt.blocking.submit(blockingJob{
		run:  func() { runBlocking(fn, set) },
		drop: func() { set(future.Err[T](ErrShutdown)) },
	})
	return p
}

// ANCHOR_END: blocking

// ANCHOR: blocking-run

// runBlocking calls fn on a goroutine of the pool and passes its result
// to set, or the error of a panic or a runtime.Goexit in it.
func runBlocking[T any](fn func() (T, error), set func(future.Result[T])) {
	returned := false
	defer func() {
		if returned {
			return
		}
		if v := recover(); v != nil {
			set(future.Err[T](panicked(v)))
		} else {
			set(future.Err[T](executor.ErrGoexit))
		}
	}()
	v, err := fn()
	returned = true
	set(future.Result[T]{Value: v, Err: err})
}

// ANCHOR_END: blocking-run

type blockingJob struct {
	run  func() // does the work and completes the future
	drop func() // completes the future with ErrShutdown instead
}

// A blockingPool starts a goroutine per job, up to max at once; the
// jobs beyond that wait in a queue for one to be free. A goroutine with
// an empty queue ends, so an idle pool holds nothing.
type blockingPool struct {
	mu      sync.Mutex
	queue   []blockingJob
	running int
	max     int
	closed  bool
	done    sync.WaitGroup
}

func (p *blockingPool) submit(j blockingJob) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		j.drop()
		return
	}
	p.queue = append(p.queue, j)
	if p.running < p.max {
		p.running++
		p.done.Add(1)
		go p.serve()
	}
	p.mu.Unlock()
}

// serve runs jobs until the queue is empty. However it ends, normally
// or because a job called runtime.Goexit (which nothing can stop), it
// leaves its place to a new goroutine if jobs are waiting, so that none
// is left behind, and gives the place back otherwise.
func (p *blockingPool) serve() {
	defer p.done.Done()
	defer func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.queue) > 0 && !p.closed {
			p.done.Add(1)
			go p.serve()
			return
		}
		p.running--
	}()
	for j, ok := p.take(); ok; j, ok = p.take() {
		j.run()
	}
}

// take removes the next job from the queue, if there is one and the pool
// is open.
func (p *blockingPool) take() (blockingJob, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 || p.closed {
		return blockingJob{}, false
	}
	j := p.queue[0]
	p.queue[0] = blockingJob{}
	p.queue = p.queue[1:]
	return j, true
}

// close drops the jobs that have not started and waits for the running
// ones to end.
func (p *blockingPool) close() {
	p.mu.Lock()
	p.closed = true
	dropped := p.queue
	p.queue = nil
	p.mu.Unlock()
	each(len(dropped), func(i int) { dropped[i].drop() }) // see stopAll
	p.done.Wait()
}
