//go:build linux || darwin || freebsd || netbsd || openbsd

package sched_test

import (
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

// pending is a task left pending at Shutdown, and what it waits on.
type pending struct {
	what string
	f    *counted[struct{}]
	h    *sched.JoinHandle[struct{}]
}

// TestShutdownCancelsEverything shuts a runtime down with tasks in every
// place a task can be: on the global queue (never polled), on a worker's
// own queues, blocked on the reactor (a pipe nobody writes), waiting on
// 1-hour timers, waiting on another task's JoinHandle, and blocking jobs
// both running and queued beyond the pool's bound. Afterwards every
// handle reports ErrShutdown, or its real result for the work that was
// allowed to finish; every pending future was cancelled exactly once and
// never polled again; and no goroutine or descriptor is left behind.
func TestShutdownCancelsEverything(t *testing.T) {
	const pipes = 4
	rds := make([]int, pipes)
	for i := range rds {
		rds[i], _ = pipe(t) // before counting: the test owns them
	}
	openFDs() // the first look may open the runtime's own descriptors
	fds0, haveFDs := openFDs()
	g0 := runtime.NumGoroutine()

	rt, err := sched.New(2)
	if errors.Is(err, reactor.ErrUnsupported) {
		t.Skipf("no reactor on %s: %v", runtime.GOOS, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	var ps []pending
	spawn := func(what string, f future.Future[struct{}]) *pending {
		c := count(f)
		ps = append(ps, pending{what, c, sched.Spawn[struct{}](rt, c)})
		return &ps[len(ps)-1]
	}
	var regs []*reactor.Registration
	for _, rd := range rds {
		reg, err := rt.Reactor().Register(rd)
		if err != nil {
			t.Fatal(err)
		}
		regs = append(regs, reg)
		spawn("a reader of a silent pipe", future.Map(reg.Readable(), func(error) struct{} { return struct{}{} }))
	}
	for range 10 {
		spawn("a 1-hour sleep", rt.Sleep(time.Hour))
	}
	for range 5 {
		inner := spawn("a task that never ends", never[struct{}]()).h
		spawn("a task awaiting another's JoinHandle", future.Map[future.Result[struct{}]](inner,
			func(future.Result[struct{}]) struct{} { return struct{}{} }))
	}
	// A task that spawns children onto its own worker's queues and
	// then pends: some may still be there at Shutdown.
	var children []*counted[struct{}]
	var childHs []*sched.JoinHandle[struct{}]
	spawn("a parent of local tasks", future.Func[struct{}](func(cx *future.Context) future.Poll[struct{}] {
		if children == nil {
			for range 50 {
				c := count(never[struct{}]())
				children = append(children, c)
				childHs = append(childHs, sched.SpawnFrom[struct{}](cx, c))
			}
		}
		return future.Pending[struct{}]()
	}))
	for _, p := range ps {
		waitFor(t, func() bool { return p.f.polls.Load() > 0 }, p.what+": never polled")
	}

	// Blocking jobs: as many running as the pool allows, and more queued.
	started := make(chan struct{}, sched.BlockingThreads)
	unblock := make(chan struct{})
	var running, queued []future.Future[future.Result[int]]
	var ranQueued atomic.Int32
	for i := range sched.BlockingThreads {
		running = append(running, sched.SpawnBlocking(rt, func() (int, error) {
			started <- struct{}{}
			<-unblock
			return i, nil
		}))
	}
	for range sched.BlockingThreads {
		await(t, started, nil, "a blocking job never started")
	}
	for range 10 {
		queued = append(queued, sched.SpawnBlocking(rt, func() (int, error) {
			ranQueued.Add(1)
			return 0, nil
		}))
	}

	// Hold both workers, and queue tasks that nobody will poll before
	// Shutdown (unless a worker gets to them before it sees Shutdown
	// begin: then they pend, and are cancelled all the same).
	gates := hold(t, rt, 2)
	for range 100 {
		spawn("a queued task", never[struct{}]())
	}

	down := make(chan error, 1)
	go func() { down <- rt.Shutdown() }()
	release(gates)
	// Shutdown drops the queued blocking jobs, then waits for the
	// running ones: let them go once it has dropped the others.
	for _, f := range queued {
		var r future.Result[int]
		waitFor(t, func() bool {
			var ok bool
			r, ok = doneNow(f)
			return ok
		}, "a queued blocking job was not dropped by Shutdown")
		if !errors.Is(r.Err, sched.ErrShutdown) {
			t.Errorf("a queued blocking job: %v, want ErrShutdown", r.Err)
		}
	}
	close(unblock)
	var shutErr error
	await(t, chanDone(down, &shutErr), nil, "Shutdown did not return")
	if shutErr != nil {
		t.Errorf("Shutdown: %v", shutErr)
	}
	if n := ranQueued.Load(); n != 0 {
		t.Errorf("%d queued blocking jobs ran: Shutdown should have dropped them", n)
	}
	for i, f := range running {
		v, ok := doneNow(f)
		if !ok || v.Err != nil || v.Value != i {
			t.Errorf("running blocking job %d: %v, done=%t; want its own result %d", i, v, ok, i)
		}
	}

	for _, p := range append(ps, childPending(children, childHs)...) {
		if _, err := p.h.Result(); !errors.Is(err, sched.ErrShutdown) {
			t.Errorf("%s: Result() = %v, want ErrShutdown", p.what, err)
		}
		if n := p.f.cancels.Load(); n != 1 {
			t.Errorf("%s: Cancel ran %d times, want once", p.what, n)
		}
		if n := p.f.late.Load(); n != 0 {
			t.Errorf("%s: polled %d times after Cancel", p.what, n)
		}
	}

	// After Shutdown: Spawn and SpawnBlocking are refused, Shutdown again
	// does nothing.
	late := count(never[struct{}]())
	if _, err := sched.Spawn[struct{}](rt, late).Result(); !errors.Is(err, sched.ErrShutdown) {
		t.Errorf("Spawn after Shutdown: %v, want ErrShutdown", err)
	}
	if late.polls.Load() != 0 || late.cancels.Load() != 1 {
		t.Errorf("a task spawned after Shutdown: %d polls, %d cancels; want 0 and 1",
			late.polls.Load(), late.cancels.Load())
	}
	var ranLate atomic.Bool
	r, ok := doneNow(sched.SpawnBlocking(rt, func() (int, error) { ranLate.Store(true); return 1, nil }))
	if !ok || !errors.Is(r.Err, sched.ErrShutdown) || ranLate.Load() {
		t.Errorf("SpawnBlocking after Shutdown: %v, done=%t, ran=%t; want ErrShutdown, not run", r, ok, ranLate.Load())
	}
	if err := rt.Shutdown(); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}

	for _, reg := range regs {
		if err := reg.Deregister(); err != nil {
			t.Errorf("Deregister after Shutdown: %v", err)
		}
	}
	goroutinesBack(t, g0)
	if !haveFDs {
		t.Logf("descriptor leak not checked: no /proc/self/fd on %s", runtime.GOOS)
		return
	}
	if fds, _ := openFDs(); fds > fds0 {
		t.Errorf("descriptors leaked: %d open before New, %d after Shutdown", fds0, fds)
	}
}

// childPending lists the parent's children as pending tasks.
func childPending(cs []*counted[struct{}], hs []*sched.JoinHandle[struct{}]) []pending {
	var ps []pending
	for i := range cs {
		ps = append(ps, pending{"a task spawned from inside a task", cs[i], hs[i]})
	}
	return ps
}
