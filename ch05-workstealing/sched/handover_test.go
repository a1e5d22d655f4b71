package sched_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
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

// TestParkHandOverServesTimer is the reactor hand-over. Two workers;
// task A sleeps 10ms and then computes without yielding; task B sleeps
// 50ms. The worker that waits in the reactor wakes for A, leaves the
// reactor and runs A; the other worker is parked on its token. Someone
// must take the reactor's turn, or B's timer waits for A to end. A
// computes until B has run (or a generous limit passes): the test holds
// that B ran while A was still computing.
func TestParkHandOverServesTimer(t *testing.T) {
	rt := newRT(t, 2)
	var bRan atomic.Bool
	a := sched.Spawn(rt, future.Then(rt.Sleep(10*time.Millisecond),
		func(struct{}) future.Future[bool] {
			return future.Ready(computeUntil(bRan.Load, 5*time.Second))
		}))
	sched.Spawn(rt, future.Map(rt.Sleep(50*time.Millisecond),
		func(struct{}) struct{} { bRan.Store(true); return struct{}{} }))
	sawB, err := join(t, rt, a, "task A never finished")
	if err != nil {
		t.Fatal(err)
	}
	if !sawB {
		t.Error("B's 50ms timer was not served while A computed for 5s " +
			"with a worker idle: nobody took the reactor's turn")
	}
}

// TestParkHandOverOffWaits is the same with the monitor turned off:
// then nobody takes the turn, and B runs only after A. A computes for a
// fixed 200ms; the test holds that B had not run when A ended.
func TestParkHandOverOffWaits(t *testing.T) {
	var bRan atomic.Bool
	rt2, err := sched.NewConfig(sched.Config{Workers: 2, NoHandover: true})
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(t, rt2)
	a := sched.Spawn(rt2, future.Then(rt2.Sleep(10*time.Millisecond),
		func(struct{}) future.Future[bool] {
			return future.Ready(computeUntil(bRan.Load, 200*time.Millisecond))
		}))
	b := sched.Spawn(rt2, future.Map(rt2.Sleep(50*time.Millisecond),
		func(struct{}) struct{} { bRan.Store(true); return struct{}{} }))
	sawB, err := join(t, rt2, a, "task A never finished")
	if err != nil {
		t.Fatal(err)
	}
	if sawB {
		t.Error("B ran while A computed, though no monitor hands the " +
			"reactor on: who took the turn?")
	}
	if _, err := join(t, rt2, b, "task B never ran after A"); err != nil {
		t.Fatal(err)
	}
}

// TestParkHandOverCounted counts the monitor's hand-overs: while A
// computes with the other worker idle, the monitor hands the turn on:
// A computes until the hook has counted a hand-over.
func TestParkHandOverCounted(t *testing.T) {
	var n atomic.Int64
	rt, err := sched.NewHooked(sched.Config{Workers: 2},
		sched.Hooks{HandOver: func() { n.Add(1) }})
	if err != nil {
		t.Skip(err)
	}
	defer shutdown(t, rt)
	ok, err := blockOn(t, rt, future.Then(rt.Sleep(time.Millisecond),
		func(struct{}) future.Future[bool] {
			return future.Ready(computeUntil(func() bool {
				return n.Load() > 0
			}, 5*time.Second))
		}), "task A never finished")
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Error("no hand-over in 5s while a task computed outside the " +
			"reactor and a worker was idle")
	}
}
