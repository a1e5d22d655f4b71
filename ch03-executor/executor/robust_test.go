package executor_test

import (
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
)

// stallLimit is how long a watchdog lets a test make no progress before it
// fails it. It is generous, so that a busy machine only makes a test
// slower, and short, so that a lost wake-up fails in seconds, not at go
// test's ten-minute timeout.
const stallLimit = 10 * time.Second

// runWatched runs ex.Run on another goroutine and waits for it to return.
// If progress (a count that grows while Run works) stands still for
// stallLimit, it fails the test: Run has parked and nothing unparked it.
// The stuck goroutine is left behind; the test has failed anyway.
func runWatched(t *testing.T, ex *executor.Executor, progress func() int64) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		ex.Run()
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last, since := progress(), time.Now()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		if p := progress(); p != last {
			last, since = p, time.Now()
		} else if time.Since(since) > stallLimit {
			t.Fatalf("Run made no progress for %v and did not return: a wake-up was lost (did a push not unpark Run?)", stallLimit)
		}
	}
}

// TestJoinHandleLatestWaker checks rule 2 of the future contract for
// JoinHandle: when the task finishes, it wakes the waker of the latest
// Poll, not the first.
func TestJoinHandleLatestWaker(t *testing.T) {
	ex := executor.New()
	var p future.Promise[int]
	h := executor.Spawn[int](ex, &p)
	first, second := new(countWaker), new(countWaker)
	for _, w := range []*countWaker{first, second} {
		if h.Poll(future.NewContext(w)).IsDone() {
			t.Fatal("JoinHandle done before Run")
		}
	}
	p.Set(7)
	ex.Run()
	if first.n.Load() != 0 || second.n.Load() != 1 {
		t.Fatalf("wakes: first %d, second %d; want 0 and 1", first.n.Load(), second.n.Load())
	}
}

// TestGoexitInTask runs a task that calls runtime.Goexit (as t.FailNow
// does) in the same batch as another task. Goexit ends Run's goroutine;
// the task must be done with ErrGoexit, and the other task, which Run had
// taken off the queue but not polled, must run at the next Run.
func TestGoexitInTask(t *testing.T) {
	ex := executor.New()
	quitter := executor.Spawn(ex, future.Func[int](func(*future.Context) future.Poll[int] {
		runtime.Goexit()
		return future.Done(0)
	}))
	var polled atomic.Int64
	other := executor.Spawn(ex, future.Func[int](func(*future.Context) future.Poll[int] {
		polled.Add(1)
		return future.Done(2)
	}))
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		ex.Run()
	}()
	<-exited // Goexit ends the goroutine; deferred calls run, so this closes
	if _, err := quitter.Result(); !errors.Is(err, executor.ErrGoexit) {
		t.Fatalf("task that called Goexit: Result error = %v, want ErrGoexit", err)
	}
	if polled.Load() != 0 {
		t.Fatal("the other task ran on a goroutine that Goexit had ended")
	}
	runWatched(t, ex, polled.Load) // a second Run: it must find the other task
	if got := mustResult(t, other); got != 2 {
		t.Fatalf("other task = %d, want 2", got)
	}
}

// selfWaker is a future that wakes itself and stays pending until stop is
// set, as a task running future.Yield in a loop does.
func selfWaker(stop *atomic.Bool, polls *atomic.Int64) future.Future[struct{}] {
	return future.Func[struct{}](func(cx *future.Context) future.Poll[struct{}] {
		// The cap keeps a Run that never calls TryPark from looping for
		// ever; the test then fails on the counts.
		if polls.Add(1) > 10_000 || stop.Load() {
			return future.Done(struct{}{})
		}
		cx.Waker().Wake()
		return future.Pending[struct{}]()
	})
}

// turnCounter is a TryParker that counts TryPark calls; its Park and
// Unpark are a plain channel parker's.
type turnCounter struct {
	executor.Parker
	turns atomic.Int64
	onTry func()
}

func (p *turnCounter) TryPark() {
	p.turns.Add(1)
	if p.onTry != nil {
		p.onTry()
	}
}

// TestTryParkWhileBusy checks the event interval: a task that wakes
// itself keeps the queue from ever being empty, so Run never parks; it
// must still give a TryParker a turn every 61 polls, and a wake-up that
// turn delivers must be polled soon after.
func TestTryParkWhileBusy(t *testing.T) {
	p := &turnCounter{Parker: executor.NewParker()}
	ex := executor.NewWith(p)
	var stop atomic.Bool
	var polls atomic.Int64
	executor.Spawn(ex, selfWaker(&stop, &polls))
	p.onTry = func() { stop.Store(true) } // what the turn "delivers"
	runWatched(t, ex, polls.Load)
	if n := p.turns.Load(); n != 1 {
		t.Errorf("TryPark called %d times, want 1", n)
	}
	if n := polls.Load(); n != 62 {
		t.Errorf("the busy task was polled %d times, want 62 (61 before the turn, 1 after)", n)
	}
}
