package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// The echo server on chapter 5's runtime. One task runs the accept loop;
// each connection it accepts becomes a task of its own, spawned from the
// accept loop, which runs tcp.Echo until the peer is done.
//
// The server keeps the set of its open connections, for two readers: the
// accept loop, which stops accepting while the set holds -max-conns, and
// the shutdown, which waits for the set to empty and then aborts what is
// left. Connection tasks end on any worker, in parallel, so the set is
// guarded by a mutex. Two things wait on it, and each leaves a way to be
// woken while holding the mutex, so that no change can slip in between
// its look and its wait: the accept loop leaves its waker (it is a task),
// the shutdown a channel (it is an ordinary goroutine).

// bookServer is the echo server on the book's runtime.
type bookServer struct {
	rt   *sched.Runtime
	log  *slog.Logger
	cfg  config
	la   string                      // the address listened on
	loop *sched.JoinHandle[struct{}] // the accept loop's task
	done chan struct{}               // closed when the accept loop has ended

	connSet
	tasks  []*connTask  // the open connections' tasks; guarded by mu
	parked future.Waker // the accept loop, waiting at max-conns; guarded by mu
}

// listenBook starts the runtime, listens on cfg.addr and spawns the
// accept loop.
func listenBook(cfg config, log *slog.Logger) (*bookServer, error) {
	rt, err := sched.New(cfg.workers)
	if errors.Is(err, reactor.ErrUnsupported) {
		return nil, fmt.Errorf("%w; -std runs without", err)
	}
	if err != nil {
		return nil, err
	}
	if cfg.netpoll {
		if err := rt.Reactor().UseNetpoller(); err != nil {
			rt.Shutdown()
			return nil, err
		}
	}
	l, err := tcp.Listen(rt.Reactor(), cfg.addr)
	if err != nil {
		rt.Shutdown()
		return nil, err
	}
	l.Log = log // tcp's one line when it runs out of descriptors
	s := &bookServer{
		rt: rt, log: log, cfg: cfg, la: l.Addr().String(),
		done:    make(chan struct{}),
		connSet: newConnSet(cfg.maxConns),
	}
	s.loop = sched.Spawn(rt, future.Future[struct{}](&acceptLoop{s: s, l: l}))
	return s, nil
}

// ANCHOR: accept-loop-type

// acceptLoop is the accept loop's task: a future that never finishes by
// itself. It accepts a connection, spawns a task for it, and goes on,
// until the shutdown aborts it; its Cancel closes the listener.
type acceptLoop struct {
	s     *bookServer
	l     *tcp.Listener
	pause future.Future[struct{}] // after an error, or nil
	fails int                     // errors in a row
}

// ANCHOR_END: accept-loop-type

// ANCHOR: accept-loop

// Poll accepts connections and spawns their tasks while there are any,
// up to acceptBudget of them, and there is room for them.
func (a *acceptLoop) Poll(cx *future.Context) future.Poll[struct{}] {
	for range acceptBudget {
		if a.pause != nil && !a.pause.Poll(cx).IsDone() {
			return future.Pending[struct{}]()
		}
		a.pause = nil
		if !a.s.admit(cx) {
			return future.Pending[struct{}]() // at -max-conns: woken by a close
		}
		r, ok := a.l.PollAccept(cx).Value() // Accept, without a future
		if !ok {
			return future.Pending[struct{}]()
		}
		if r.Err != nil {
			a.backOff(r.Err)
			continue
		}
		a.fails = 0
		r.Value.SetIdleTimeout(a.s.cfg.idle)
		t := &connTask{s: a.s}
		t.echo.Start(r.Value)
		a.s.add(t, func() *sched.JoinHandle[struct{}] {
			return sched.SpawnFrom(cx, future.Future[struct{}](t))
		})
	}
	cx.Waker().Wake() // a flood of connections: let other tasks run
	return future.Pending[struct{}]()
}

// ANCHOR_END: accept-loop

// acceptBudget is how many connections the accept loop takes in one
// poll before it yields its worker to the connections' tasks.
const acceptBudget = 64

// backOff logs an accept error (the first of a run of them) and pauses
// the loop: 5ms, doubling up to 1s. tcp's Accept already retries what is
// known to pass (a connection reset before it was accepted, running out
// of descriptors); anything else may be one connection's trouble, or the
// listener's, and neither must stop the server or make it spin.
func (a *acceptLoop) backOff(err error) {
	if a.fails == 0 {
		a.s.log.Warn("accept failed; retrying", "err", err)
	}
	a.fails++
	a.pause = a.s.rt.Sleep(min(5*time.Millisecond<<min(a.fails-1, 8), time.Second))
}

// Cancel stops the loop: the shutdown's Abort runs it on the worker that
// owns the task, as tcp's rule for closing a Listener asks.
func (a *acceptLoop) Cancel() {
	future.Cancel(a.pause)
	a.l.Close()
	a.s.mu.Lock()
	a.s.parked = nil
	a.s.mu.Unlock()
	close(a.s.done)
}

// ANCHOR: conn-set

// admit reports whether the accept loop may accept one more connection.
// If not, it leaves the loop's waker for the next connection that ends.
func (s *bookServer) admit(cx *future.Context) bool {
	s.mu.Lock()
	open := s.n
	if open < s.cfg.maxConns {
		s.mu.Unlock()
		return true
	}
	s.parked = cx.Waker()
	first := s.fullLocked()
	s.mu.Unlock()
	if first {
		logFull(s.log, open, s.resume)
	}
	return false
}

// add puts t at the end of the set (t.slot says where), then spawns its
// task: in that order, because the task may run, and end, on another
// worker before spawn returns its handle.
func (s *bookServer) add(t *connTask,
	spawn func() *sched.JoinHandle[struct{}]) {
	s.mu.Lock()
	t.slot = len(s.tasks)
	s.tasks = appendTask(s.tasks, t)
	s.addLocked()
	s.mu.Unlock()
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		s.log.Debug("accepted", "remote", t.echo.Conn().RemoteAddr())
	}
	h := spawn()
	s.mu.Lock()
	if t.slot >= 0 { // still open
		t.h = h
	}
	s.mu.Unlock()
}

// ANCHOR_END: conn-set

// appendTask is append(ts, t), but it doubles the array when it is full.
// append grows a large slice by a quarter at a time (nextslicecap in
// runtime/slice.go), so a set grown to n connections would have left old
// arrays of about 4n pointers to the collector; doubling leaves about n.
func appendTask(ts []*connTask, t *connTask) []*connTask {
	if len(ts) == cap(ts) {
		ts = append(make([]*connTask, 0, max(2*cap(ts), 64)), ts...)
	}
	return append(ts, t)
}

// removeLocked takes t out of the slice, if it is still there: the last
// entry takes its place. The caller holds mu.
func (s *bookServer) removeLocked(t *connTask) {
	if t.slot < 0 {
		return
	}
	last := len(s.tasks) - 1
	s.tasks[t.slot] = s.tasks[last]
	s.tasks[t.slot].slot = t.slot
	s.tasks[last] = nil
	s.tasks = s.tasks[:last]
	t.slot = -1
	s.connSet.removeLocked()
}

// ANCHOR: conn-task

// connTask is one connection's task: tcp.Echo, and then its leaving the
// server's set of open connections. Echo's future is a field, not a
// pointer, so that the task's future is one allocation.
type connTask struct {
	s    *bookServer
	echo tcp.Echoing // started on the connection (Echo's future)

	// Guarded by s.mu: where t is in s.tasks (-1 once it has left),
	// and its task's handle, for the shutdown to abort it.
	slot int
	h    *sched.JoinHandle[struct{}]
}

func (t *connTask) Poll(cx *future.Context) future.Poll[struct{}] {
	r, ok := t.echo.Poll(cx).Value()
	if !ok {
		return future.Pending[struct{}]()
	}
	t.s.remove(cx, t, "bytes", r.Value, "err", r.Err)
	return future.Done(struct{}{})
}

// Cancel is the shutdown closing a connection that outlived the grace
// period (JoinHandle.Abort, or the runtime's Shutdown): Echo's Cancel
// closes the socket.
func (t *connTask) Cancel() {
	t.echo.Cancel()
	t.s.remove(nil, t, "err", "shutdown")
}

// ANCHOR_END: conn-task

// ANCHOR: conn-remove

// remove takes t out of the set of open connections, logs that it
// closed (with the facts given), and wakes whoever waits for the set to
// shrink: the accept loop, if it stopped at -max-conns (from a task,
// into this worker's LIFO slot), and the shutdown, once it is empty.
func (s *bookServer) remove(cx *future.Context, t *connTask, facts ...any) {
	s.mu.Lock()
	s.removeLocked(t)
	w := s.parked
	s.parked = nil
	s.mu.Unlock()
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		facts = append([]any{"remote", t.echo.Conn().RemoteAddr()}, facts...)
		s.log.Debug("closed", facts...)
	}
	switch {
	case w == nil:
	case cx != nil:
		sched.WakeFrom(cx, w)
	default:
		w.Wake()
	}
}

// ANCHOR_END: conn-remove

func (s *bookServer) addr() string { return s.la }

func (s *bookServer) runtime() (string, int) { return "book", s.rt.Workers() }

func (s *bookServer) stopAccepting() {
	s.loop.Abort()
	<-s.done
	s.beginClosing()
}

// closeAll aborts the connections' tasks. Each task's Cancel runs on its
// own worker (or, if the runtime stops first, in Shutdown) and closes the
// connection there, since a Conn is not safe for use by two goroutines.
func (s *bookServer) closeAll() int {
	s.mu.Lock()
	hs := make([]*sched.JoinHandle[struct{}], 0, len(s.tasks))
	for _, t := range s.tasks {
		hs = append(hs, t.h)
	}
	s.mu.Unlock()
	for _, h := range hs {
		if h != nil {
			h.Abort()
		}
	}
	return len(hs)
}

// close shuts the runtime down: the workers stop, and any connection task
// not yet cancelled is cancelled there.
func (s *bookServer) close() error { return s.rt.Shutdown() }
