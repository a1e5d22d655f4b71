package sched

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
)

// ANCHOR: runtime

// A Runtime runs tasks on a fixed set of workers, each a goroutine with
// its own run queue, and drives a reactor for I/O and timers. Create one
// with New and stop it with Shutdown.
type Runtime struct {
	workers  []*worker
	global   globalQueue
	reactor  *reactor.Reactor
	blocking blockingPool

	// Idle workers. A worker parks either in the reactor (at most one
	// at a time: polling) or on its own token (idle, a stack).
	nspinning atomic.Int32 // workers looking for work to steal
	nidle     atomic.Int32 // workers parked, or about to park, either way
	polling   atomic.Bool  // a worker owns the reactor's blocking turn
	inReactor atomic.Bool  // and is parked in it, or about to be
	idleMu    sync.Mutex
	idle      []*worker

	closing atomic.Bool
	stopped sync.WaitGroup // one per worker, and per callWaker goroutine
	down    sync.Once

	strayMu sync.Mutex
	strays  []error // panics of wakers called outside any task

	steal bool // idle workers steal; off only in a benchmark

	// The monitor that hands the reactor on (monitor.go); the channels
	// are nil if there is none (Config.NoHandover).
	monAsleep atomic.Bool   // the monitor waits for monKick, not a tick
	monKick   chan struct{} // wakes the monitor from its deep sleep
	monStop   chan struct{} // closed by Shutdown
	monDone   chan struct{} // closed by the monitor when it stops

	hooks *hooks // nil outside tests
}

// ANCHOR_END: runtime

// New starts a Runtime with n workers, or runtime.GOMAXPROCS(0) if n is
// zero or less, and a reactor for them to share. It fails only if the
// reactor cannot be created (reactor.ErrUnsupported on a system without
// epoll or kqueue).
func New(n int) (*Runtime, error) {
	return NewConfig(Config{Workers: n})
}

// Config sets up a Runtime with parts of it turned off, for the demos and
// benchmarks that show what a part is for. The zero Config is New(0).
type Config struct {
	Workers    int  // as New's n
	NoSteal    bool // idle workers take only from the global queue
	NoHandover bool // no monitor hands the reactor to an idle worker
}

// NewConfig starts a Runtime set up as c says; see New.
func NewConfig(c Config) (*Runtime, error) {
	return newRuntime(c, nil)
}

// hooks lets a test watch the runtime, or step in, at points that are
// otherwise invisible: hooks[p] is called at point p, if it is not nil.
type hooks [numHooks]func()

// The points where a test may hook in.
const (
	hookJoinWaiter = iota // JoinHandle.Poll has stored its waker
	hookParkAbort         // park found work after counting itself idle
	hookHandOver          // the monitor hands the reactor on
	numHooks
)

// hook calls the test's hook for point p, if there is one. Outside
// tests, rt.hooks is nil, and this is one load and a branch.
func (rt *Runtime) hook(p int) {
	if rt.hooks != nil && rt.hooks[p] != nil {
		rt.hooks[p]()
	}
}

func newRuntime(c Config, hk *hooks) (*Runtime, error) {
	n := c.Workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	r, err := reactor.New()
	if err != nil {
		return nil, fmt.Errorf("sched: %w", err)
	}
	rt := &Runtime{reactor: r, steal: !c.NoSteal, hooks: hk}
	rt.blocking.max = defaultBlockingThreads
	rt.workers = make([]*worker, n)
	for i := range rt.workers {
		rt.workers[i] = &worker{rt: rt, id: i, token: make(chan struct{}, 1)}
	}
	rt.stopped.Add(n)
	for _, w := range rt.workers {
		go w.main()
	}
	rt.startMonitor(!c.NoHandover)
	return rt, nil
}

// Workers returns how many workers rt runs.
func (rt *Runtime) Workers() int { return len(rt.workers) }

// Reactor returns the reactor rt drives, for registering descriptors.
// Its Readable and Writable futures, like Sleep's, may be awaited by
// rt's tasks. Shutdown closes it.
func (rt *Runtime) Reactor() *reactor.Reactor { return rt.reactor }

// Sleep returns a future that is done once d has passed; see
// reactor.Reactor.Sleep. The workers' reactor turns fire it.
func (rt *Runtime) Sleep(d time.Duration) future.Future[struct{}] {
	return rt.reactor.Sleep(d)
}

// ANCHOR: spawn

// Spawn starts f as a new task on rt and returns its handle. It may be
// called from any goroutine. The task goes on the global queue, where any
// worker may take it; from inside a task, SpawnFrom is cheaper. After
// Shutdown the task is not run: its handle reports ErrShutdown.
func Spawn[T any](rt *Runtime, f future.Future[T]) *JoinHandle[T] {
	t := newTask(rt, f)
	if !rt.inject(&t.h) {
		t.stop(ErrShutdown)
	}
	return t
}

// SpawnFrom starts f as a new task on the runtime of the task that is
// polling with cx, and returns its handle. The new task goes into the
// LIFO slot of the worker that runs the current task, to be polled next
// on the same core, as Go's newproc puts a new goroutine in runnext. It
// panics if cx is not the Context of a task of a Runtime being polled on
// this goroutine: Go has no thread-local "current worker", so the
// Context is how a task says where it runs.
func SpawnFrom[T any](cx *future.Context, f future.Future[T]) *JoinHandle[T] {
	w := workerOf(cx)
	if w == nil {
		panic("sched: SpawnFrom called outside a task's poll")
	}
	t := newTask(w.rt, f)
	w.pushNext(&t.h)
	return t
}

// ANCHOR_END: spawn

// ANCHOR: wakefrom

// WakeFrom wakes wk from inside the poll of the task whose Context is cx.
// If wk is a task of the same runtime, it goes into this worker's LIFO
// slot and runs as soon as the current task returns, on the same core,
// where the data it was woken for is still in cache: this is how a
// channel hands a value from one task to the next (Go's goready puts the
// woken goroutine in runnext). Otherwise it is wk.Wake(). A plain Wake
// cannot do this, because it cannot tell which worker, if any, calls it.
func WakeFrom(cx *future.Context, wk future.Waker) {
	if w := workerOf(cx); w != nil && w.wakeNext(wk) {
		return
	}
	wk.Wake()
}

// ANCHOR_END: wakefrom

// ANCHOR: worker-of

// workerOf returns the worker polling the task whose Context is cx, or
// nil if cx is not a task's, or the task is between polls. The task's
// header is cx's waker, and records which worker polls it.
func workerOf(cx *future.Context) *worker {
	h, ok := cx.Waker().(*header)
	if !ok || h.on == 0 {
		return nil
	}
	return h.rt.workers[h.on-1]
}

// ANCHOR_END: worker-of

// BlockOn spawns f on rt and blocks the calling goroutine until it is
// done, then returns its value, or the error that stopped it. It must
// not be called from inside a task: that would block a worker.
func BlockOn[T any](rt *Runtime, f future.Future[T]) (T, error) {
	return executor.BlockOn[future.Result[T]](Spawn(rt, f)).Get()
}

// ANCHOR: inject

// inject puts a task that was spawned or woken outside the runtime's
// workers on the global queue, and makes sure a worker will look. Once
// Shutdown has closed the queue, it reports false.
func (rt *Runtime) inject(h *header) bool {
	h.next = nil
	if !rt.global.push(h, h, 1) {
		return false
	}
	rt.wakep()
	return true
}

// ANCHOR_END: inject

// ANCHOR: wakep

// ANCHOR: wakep-fn

// wakep wakes one idle worker to look for work, unless a worker is
// already spinning (looking), or none is idle. This is wakep in
// runtime/proc.go: a spinning worker that finds work wakes the next
// one, so parallelism ramps up one worker at a time, and a burst of
// spawns costs one kernel wake-up, not one each. A worker is woken from
// its token first; only if none is parked there is the reactor's turn
// interrupted.
func (rt *Runtime) wakep() {
	idle := rt.nidle.Load()
	if idle == 0 || rt.nspinning.Load() != 0 {
		return
	}
	if idle == 1 && rt.inReactor.Load() {
		// The one idle worker is in the reactor: no token to send.
		rt.reactor.Unpark() // a second Unpark makes no system call
		return
	}
	if !rt.nspinning.CompareAndSwap(0, 1) {
		return
	}
	if rt.wakeIdle() {
		return // the woken worker counts as the spinning one
	}
	rt.nspinning.Add(-1)
	if rt.inReactor.Load() {
		rt.reactor.Unpark()
	}
}

// ANCHOR_END: wakep-fn

// ANCHOR: wake-idle

// wakeIdle wakes a worker parked on its token, if there is one, and
// hands it the spinning state the caller has already counted.
func (rt *Runtime) wakeIdle() bool {
	rt.idleMu.Lock()
	n := len(rt.idle)
	if n == 0 {
		rt.idleMu.Unlock()
		return false
	}
	w := rt.idle[n-1]
	rt.idle = rt.idle[:n-1]
	w.parked, w.handoff = false, true
	rt.nidle.Add(-1)
	rt.idleMu.Unlock()
	select {
	case w.token <- struct{}{}:
	default: // a token is already there; one is enough
	}
	return true
}

// ANCHOR_END: wake-idle

// ANCHOR_END: wakep

// release takes a finished task off its live list.
func (rt *Runtime) release(h *header) {
	if h.home > 0 {
		rt.workers[h.home-1].live.remove(h)
	}
}

// stray records what a waker that the runtime called outside any task
// did instead of returning, so that one broken waker does not stop a
// worker: v is what recover returned, a panic's value, or nil if the
// waker called runtime.Goexit. It reports whether it was a Goexit.
// Shutdown reports them.
func (rt *Runtime) stray(v any) (goexit bool) {
	err := fmt.Errorf("sched: a waker panicked: %v", v)
	if v == nil {
		err = errors.New("sched: a waker called runtime.Goexit")
	}
	rt.strayMu.Lock()
	rt.strays = append(rt.strays, err)
	rt.strayMu.Unlock()
	return v == nil
}

// ANCHOR: shutdown

// Shutdown stops rt: every worker finishes the poll it is in and stops;
// then every task still pending is cancelled (its future's Cancel runs)
// and finished with ErrShutdown, so whoever awaits it is woken; the
// blocking pool waits for the functions it is running; and the reactor
// is closed. Shutdown returns when all of that is done. It must not be
// called from inside a task. Calling it again does nothing.
//
// The error it returns joins the panics of wakers that the runtime
// called outside any task, if there were any.
func (rt *Runtime) Shutdown() error {
	var err error
	rt.down.Do(func() {
		rt.closing.Store(true)
		for _, w := range rt.workers {
			select {
			case w.token <- struct{}{}:
			default:
			}
		}
		rt.reactor.Unpark()
		rt.stopped.Wait()
		rt.stopMonitor()
		stopAll(rt.abandoned())
		rt.blocking.close()
		cerr := rt.closeReactor()
		rt.strayMu.Lock()
		err = errors.Join(cerr, errors.Join(rt.strays...))
		rt.strayMu.Unlock()
	})
	return err
}

// ANCHOR_END: shutdown

// ANCHOR: stop-all

// stopAll stops every task in hs: cancels it and finishes it with
// ErrShutdown. Each stop is contained (see cancel and callWaker): a
// future's Cancel or a waker that panics stops no other task.
func stopAll(hs []*header) {
	each(len(hs), func(i int) { hs[i].self.stop(ErrShutdown) })
}

// each calls f(0), ..., f(n-1) in turn, and returns when all are done.
// A call that runs runtime.Goexit ends the goroutine that runs the loop,
// so the loop runs on a goroutine of its own, and the deferred call
// starts a new one for the calls after it.
func each(n int, f func(i int)) {
	done := make(chan struct{})
	var from func(i int)
	from = func(i int) {
		defer func() {
			if i < n { // Goexit: go on with the next call
				go from(i + 1)
			}
		}()
		for ; i < n; i++ {
			f(i)
		}
		close(done)
	}
	go from(0)
	<-done
}

// ANCHOR_END: stop-all

// closeReactor closes the reactor, which wakes whatever still waits on
// it. A waker that panics there is recorded like any stray waker; one
// that calls runtime.Goexit ends only the goroutine closeReactor runs on.
func (rt *Runtime) closeReactor() error {
	res := make(chan error, 1)
	go func() {
		ok := false
		defer func() {
			if !ok {
				rt.stray(recover())
				res <- nil
			}
		}()
		err := rt.reactor.Close()
		ok = true
		res <- err
	}()
	return <-res
}

// abandoned closes the global queue and every live list, and returns
// every task that is not complete: on a queue, or on a list. A task may
// be in both (woken after it pended); stop cancels it once. Only
// Shutdown calls it, after the workers have stopped.
func (rt *Runtime) abandoned() []*header {
	hs := rt.global.close()
	for _, w := range rt.workers {
		if w.lifo != nil {
			hs = append(hs, w.lifo)
			w.lifo = nil
		}
		for h := w.ring.pop(); h != nil; h = w.ring.pop() {
			hs = append(hs, h)
		}
		for _, first := range w.spill {
			for h := first; h != nil; h = h.next {
				hs = append(hs, h)
			}
		}
		w.spill = nil
		hs = append(hs, w.live.close()...)
	}
	return hs
}

// Stats is what each worker has done so far.
type Stats struct {
	Polls  []uint64 // tasks polled, per worker
	Stolen []uint64 // tasks taken from other workers' rings, per worker
	Parks  []uint64 // times the worker went to sleep, per worker
}

// Stats returns how many tasks each worker has polled and stolen, and
// how often it parked. The counts are read while the workers run, so
// they are a moment's picture, not a consistent sum.
func (rt *Runtime) Stats() Stats {
	var s Stats
	for _, w := range rt.workers {
		s.Polls = append(s.Polls, w.polls.Load())
		s.Stolen = append(s.Stolen, w.stolen.Load())
		s.Parks = append(s.Parks, w.parks.Load())
	}
	return s
}
