//go:build linux || darwin || freebsd || netbsd || openbsd

package sched

import (
	"testing"

	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
)

// wakepRuntime returns a Runtime of two workers, never started, whose
// worker 0 counts as parked in the reactor, and the reactor.
func wakepRuntime(t *testing.T) (*Runtime, *reactor.Reactor) {
	r := testReactor(t)
	rt := stillRuntime(2)
	rt.reactor = r
	rt.nidle.Store(1)
	rt.polling.Store(true)
	rt.inReactor.Store(true)
	return rt, r
}

// TestWakepReactorOnly calls wakep with one worker idle, in the reactor,
// as when a spawner's every push finds the other worker parked there:
// wakep must interrupt the reactor's blocking turn (it returns without
// waiting for anything) and leave no spinner counted, since no worker
// took that role.
func TestWakepReactorOnly(t *testing.T) {
	rt, r := wakepRuntime(t)
	rt.wakep()
	rt.wakep() // as the next spawn does, before the worker is back
	if n := rt.nspinning.Load(); n != 0 {
		t.Errorf("after wakep, %d spinning; want 0", n)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Turn(true, nil)
	}()
	reactortest.Await(t, done, nil, "the reactor's blocking turn was not interrupted")
}

// TestWakepPrefersToken calls wakep with two workers idle, one in the
// reactor and one parked on its token: the one on its token is woken,
// as the spinner, and taken off the idle stack. A shortcut that saw
// "the reactor has a worker" and only interrupted it would leave the
// token empty.
func TestWakepPrefersToken(t *testing.T) {
	rt, _ := wakepRuntime(t)
	w := rt.workers[1]
	rt.nidle.Store(2)
	w.parked = true
	rt.idle = append(rt.idle, w)
	rt.wakep()
	select {
	case <-w.token:
	default:
		t.Fatal("the worker parked on its token was not woken")
	}
	if !w.handoff || w.parked || len(rt.idle) != 0 {
		t.Errorf("woken worker: handoff %t, parked %t, %d on the idle stack; want true, false, 0",
			w.handoff, w.parked, len(rt.idle))
	}
	if ns, ni := rt.nspinning.Load(), rt.nidle.Load(); ns != 1 || ni != 1 {
		t.Errorf("after wakep: %d spinning, %d idle; want 1, 1", ns, ni)
	}
}
