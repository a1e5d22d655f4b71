package sched_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch05-workstealing/schedtest"
)

// computeUntil stands for a task that computes without yielding: it
// loops, in its poll, until stop reports true or limit has passed, and
// reports whether stop did. The limit only ends a test that is going to
// fail; it never decides what a passing test sees.
func computeUntil(stop func() bool, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for !stop() {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// handOverRun is the scenario of the hand-over on rt, two workers: task
// A sleeps 50ms and then computes without yielding, until B has run or
// limit passes; task B sleeps 300ms. It reports whether A saw B run, and
// whether the run could tell. It could not if the worker that polled A
// and B was slow to park again, and so may have parked in the reactor
// after the driver left it; or if A began computing close to B's due
// time, and one reactor turn may have handed out both. Timing decides
// only that.
func handOverRun(t *testing.T, rt *sched.Runtime,
	limit time.Duration) (sawB, telling bool) {
	t.Helper()
	parks := func() uint64 { return sum(rt.Stats().Parks) }
	waitFor(t, func() bool { return parks() >= 2 }, "the workers never parked")
	p0 := parks()
	var bRan atomic.Bool
	start := time.Now()
	bDue := start.Add(300 * time.Millisecond)
	var aStart time.Time
	a := sched.Spawn(rt, future.Then(rt.Sleep(50*time.Millisecond),
		func(struct{}) future.Future[bool] {
			aStart = time.Now()
			return future.Ready(computeUntil(bRan.Load, limit))
		}))
	b := sched.Spawn(rt, future.Map(rt.Sleep(300*time.Millisecond),
		func(struct{}) struct{} { bRan.Store(true); return struct{}{} }))
	waitFor(t, func() bool { return parks() > p0 }, "no worker parked again")
	reparked := time.Since(start)
	sawB, err := join(t, rt, a, "task A never finished")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := join(t, rt, b, "task B never ran"); err != nil {
		t.Fatal(err)
	}
	return sawB, reparked < 30*time.Millisecond &&
		aStart.Before(bDue.Add(-100*time.Millisecond))
}

// TestParkHandOverServesTimer is the reactor hand-over. The worker that
// waits in the reactor wakes for A, leaves the reactor and runs A; the
// other worker is parked on its token. Someone must take the reactor's
// turn, or B's timer waits for A to end. A computes until B has run (or
// a generous limit passes): the test holds that B ran while A was still
// computing, and, if the run could tell (see handOverRun), that the
// monitor handed the turn on to get there.
func TestParkHandOverServesTimer(t *testing.T) {
	var n atomic.Int64
	rt := schedtest.New(t, 2, func(w int) (*sched.Runtime, error) {
		return sched.NewHooked(sched.Config{Workers: w},
			sched.Hooks{HandOver: func() { n.Add(1) }})
	})
	sawB, telling := handOverRun(t, rt, 5*time.Second)
	if !sawB {
		t.Error("B's timer was not served while A computed for 5s " +
			"with a worker idle: nobody took the reactor's turn")
	} else if telling && n.Load() == 0 {
		t.Error("B was served while A computed, but the monitor " +
			"never handed the turn on")
	}
}

// TestParkHandOverOffWaits is the same with the monitor turned off:
// then nobody takes the turn, and B runs only after A, who computes for
// 600ms. A run too slow to tell (see handOverRun) is skipped.
func TestParkHandOverOffWaits(t *testing.T) {
	rt := schedtest.New(t, 2, func(n int) (*sched.Runtime, error) {
		return sched.NewConfig(sched.Config{Workers: n, NoHandover: true})
	})
	sawB, telling := handOverRun(t, rt, 600*time.Millisecond)
	if !telling {
		t.Skip("A began computing too late to tell a hand-over from " +
			"one turn handing out both timers")
	}
	if sawB {
		t.Error("B ran while A computed, though no monitor hands the " +
			"reactor on: who took the turn?")
	}
}
