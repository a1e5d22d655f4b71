package sched_test

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch05-workstealing/schedtest"
)

// stallLimit is how long a watchdog waits for progress (see
// reactortest.StallLimit).
const stallLimit = reactortest.StallLimit

// newRT returns a runtime with n workers that the test shuts down when it
// ends (see schedtest.New).
func newRT(t testing.TB, n int) *sched.Runtime {
	t.Helper()
	return schedtest.New(t, n, sched.New)
}

// shutdown is schedtest.Shutdown: Shutdown under a watchdog.
var shutdown = schedtest.Shutdown

// await is reactortest.Await: a watchdog on done.
var await = reactortest.Await

// polls is the total of rt's per-worker poll counts: a progress measure
// for await while tasks run.
func polls(rt *sched.Runtime) func() int64 {
	return func() int64 {
		var n uint64
		for _, p := range rt.Stats().Polls {
			n += p
		}
		return int64(n)
	}
}

// join waits, with a watchdog, for the task behind h to finish and
// returns its result. It awaits h (through executor.BlockOn on another
// goroutine), so h must not be awaited elsewhere.
func join[T any](t testing.TB, rt *sched.Runtime, h *sched.JoinHandle[T], what string) (T, error) {
	t.Helper()
	done := make(chan struct{})
	var r future.Result[T]
	go func() {
		defer close(done)
		r = executor.BlockOn[future.Result[T]](h)
	}()
	await(t, done, polls(rt), what)
	return r.Get()
}

// blockOn is sched.BlockOn with a watchdog.
func blockOn[T any](t testing.TB, rt *sched.Runtime, f future.Future[T], what string) (T, error) {
	t.Helper()
	done := make(chan struct{})
	var (
		v   T
		err error
	)
	go func() {
		defer close(done)
		v, err = sched.BlockOn(rt, f)
	}()
	await(t, done, polls(rt), what)
	return v, err
}

// waitFor waits until cond holds, calling runtime.Gosched between looks,
// and fails the test if it has not held after stallLimit. The deadline
// only ever fails a test: it never decides what a passing test sees.
func waitFor(t testing.TB, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(stallLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", stallLimit, what)
		}
		runtime.Gosched()
	}
}

// counted wraps a future and counts its polls and its Cancel calls, and
// notes a poll that comes after it was done or cancelled.
type counted[T any] struct {
	f       future.Future[T]
	polls   atomic.Int32
	cancels atomic.Int32
	done    atomic.Bool
	late    atomic.Int32 // polls after Done or Cancel: a bug
}

func count[T any](f future.Future[T]) *counted[T] { return &counted[T]{f: f} }

func (c *counted[T]) Poll(cx *future.Context) future.Poll[T] {
	if c.done.Load() || c.cancels.Load() > 0 {
		c.late.Add(1)
	}
	c.polls.Add(1)
	p := c.f.Poll(cx)
	if p.IsDone() {
		c.done.Store(true)
	}
	return p
}

func (c *counted[T]) Cancel() {
	c.cancels.Add(1)
	future.Cancel(c.f)
}

// never is a future that is pending for ever and holds nothing: its
// task can only end by Abort or Shutdown.
func never[T any]() future.Future[T] {
	return future.Func[T](func(*future.Context) future.Poll[T] { return future.Pending[T]() })
}

// gate is a task that blocks its worker inside Poll until release is
// closed, after telling started: the way a test keeps a worker busy, so
// that what it queues meanwhile stays queued. Blocking a worker is what a
// real task must never do; here it is the point.
type gate struct {
	started chan struct{}
	release chan struct{}
}

func newGate() *gate {
	return &gate{started: make(chan struct{}), release: make(chan struct{})}
}

func (g *gate) Poll(*future.Context) future.Poll[struct{}] {
	close(g.started)
	<-g.release
	return future.Done(struct{}{})
}

// hold spawns n gates on rt and waits, with a watchdog, until every one
// is blocking a worker. With n = rt.Workers(), no worker is free.
func hold(t testing.TB, rt *sched.Runtime, n int) []*gate {
	t.Helper()
	gs := make([]*gate, n)
	for i := range gs {
		gs[i] = newGate()
		sched.Spawn[struct{}](rt, gs[i])
	}
	for _, g := range gs {
		await(t, g.started, nil, "a gate task never started: a worker did not pick up queued work")
	}
	return gs
}

// release lets every gate's worker go.
func release(gs []*gate) {
	for _, g := range gs {
		close(g.release)
	}
}

// countWaker is a waker that counts its wake-ups.
type countWaker struct{ n atomic.Int64 }

func (c *countWaker) Wake() { c.n.Add(1) }

// sum adds up a per-worker count.
func sum(xs []uint64) uint64 {
	var n uint64
	for _, x := range xs {
		n += x
	}
	return n
}

// awaitHandle blocks the calling goroutine until h's task is done and
// returns its result; it awaits h, so h must not be awaited elsewhere.
func awaitHandle[T any](h *sched.JoinHandle[T]) future.Result[T] {
	return executor.BlockOn[future.Result[T]](h)
}

// The leak checks are reactortest's.
var (
	openFDs        = reactortest.OpenFDs
	goroutinesBack = reactortest.GoroutinesBack
)

// doneNow polls f once with a waker that does nothing, for a future whose
// completion the test awaits by polling again.
func doneNow[T any](f future.Future[T]) (T, bool) {
	return f.Poll(future.NewContext(future.NoopWaker)).Value()
}

// chanDone returns a channel closed once ch has delivered a value into *v.
func chanDone[T any](ch <-chan T, v *T) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		*v = <-ch
		close(done)
	}()
	return done
}

// TestSuiteInNetpoller runs the package's tests again with every
// runtime's reactor sleeping in Go's netpoller.
func TestSuiteInNetpoller(t *testing.T) { reactortest.SuiteInNetpoller(t) }
