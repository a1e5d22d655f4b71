package sched_test

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

// TestDriverYieldsBeforeSleeping runs one worker on one P (GOMAXPROCS 1)
// and a task that, each time it is polled, starts a goroutine that wakes
// it and returns Pending. The worker then has nothing to do and parks in
// the reactor. If it yields to Go's scheduler first, the goroutine runs
// before the worker sleeps, its wake-up makes the blocking turn return
// without a wait in the kernel, and the rounds need (almost) no such
// waits. If it does not, the goroutine can run only once the worker is
// asleep in epoll_wait (or kevent) and sysmon has taken the P from it:
// every round ends with a wait in the kernel that the wake-up cuts
// short. (Go's scheduler runs the yielding goroutine first once in 61
// schedules, findRunnable's fairness check, so a few such waits pass.)
func TestDriverYieldsBeforeSleeping(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	rt := newRT(t, 1)
	var woken atomic.Int64 // blocking waits in the kernel that a wake-up ended
	rt.Reactor().OnWait(func(w reactor.Wait) {
		if w.Timeout != 0 && w.Woken {
			woken.Add(1)
		}
	})
	const rounds = 40
	n := 0
	task := future.Func[int](func(cx *future.Context) future.Poll[int] {
		if n++; n > rounds {
			return future.Done(n - 1)
		}
		wk := cx.Waker()
		go wk.Wake()
		return future.Pending[int]()
	})
	if got, err := join(t, rt, sched.Spawn(rt, future.Future[int](task)), "the task"); err != nil || got != rounds {
		t.Fatalf("the task ended with %d, %v; want %d, nil", got, err, rounds)
	}
	if k := woken.Load(); k > rounds/2 {
		t.Errorf("%d of %d rounds ended a wait in the kernel: the goroutine"+
			" the task started ran only after the worker slept", k, rounds)
	}
}

// TestBusyWorkerYields runs one worker on one P (GOMAXPROCS 1) and a
// task that wakes itself at every poll, so that the worker never runs
// out of work. At its first poll it starts a goroutine, and it ends once
// that goroutine has run. With yieldEvery set to zero, the worker yields
// to Go's scheduler at every 61st poll, so the goroutine runs within a
// few hundred polls (Go runs the yielding goroutine first once in 61
// schedules). Without the yield it would wait for sysmon to preempt the
// worker, after 10ms of polls.
func TestBusyWorkerYields(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	defer sched.SetYieldEvery(0)()
	rt := newRT(t, 1)
	var ran atomic.Bool
	polls := 0
	task := future.Func[int](func(cx *future.Context) future.Poll[int] {
		polls++
		switch {
		case polls == 1:
			go ran.Store(true)
		case ran.Load():
			return future.Done(polls)
		}
		cx.Waker().Wake()
		return future.Pending[int]()
	})
	got, err := join(t, rt, sched.Spawn(rt, future.Future[int](task)), "the task")
	if err != nil {
		t.Fatal(err)
	}
	if got > 10*61 {
		t.Errorf("the goroutine ran after %d polls of a busy worker,"+
			" want at most %d", got, 10*61)
	}
}
