package executor_test

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
)

// failParker fails the test if Run ever parks. Tests whose wakes all happen
// before the poll that needs them returns use it: a Run that parks there
// has lost a wake-up, and would otherwise hang.
type failParker struct{ t *testing.T }

func (p failParker) Park()   { p.t.Fatal("Run parked with no wake-up on its way: a wake-up was lost") }
func (p failParker) Unpark() {}

// mustResult returns h's value, failing the test if the task did not
// finish cleanly.
func mustResult[T any](t *testing.T, h *executor.JoinHandle[T]) T {
	t.Helper()
	v, err := h.Result()
	if err != nil {
		t.Fatalf("Result: %v", err)
	}
	return v
}

// TestQueuedOnce wakes a pending task thousands of times, from its own
// executor and from other goroutines, before Run gets back to it. It must be
// polled once more, not once per wake.
func TestQueuedOnce(t *testing.T) {
	ex := executor.NewWith(failParker{t})
	var (
		polls int
		waker future.Waker
		woken bool
	)
	a := executor.Spawn(ex, future.Func[int](func(cx *future.Context) future.Poll[int] {
		polls++
		if polls == 1 {
			waker = cx.Waker()
			return future.Pending[int]()
		}
		if !woken {
			t.Error("task polled again before anyone woke it")
		}
		return future.Done(polls)
	}))
	executor.Spawn(ex, future.Func[struct{}](func(*future.Context) future.Poll[struct{}] {
		woken = true
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 1000 {
					waker.Wake()
				}
			})
		}
		for range 1000 {
			waker.Wake()
		}
		wg.Wait()
		return future.Done(struct{}{})
	}))
	ex.Run()
	if got := mustResult(t, a); got != 2 || polls != 2 {
		t.Fatalf("task woken 5000 times while queued was polled %d times, want 2", polls)
	}
}

// TestWakeAfterDone checks that waking a finished task does nothing: it is
// not polled again, and Run's count of live tasks is not disturbed.
func TestWakeAfterDone(t *testing.T) {
	ex := executor.NewWith(failParker{t})
	var (
		polls atomic.Int32
		waker future.Waker
	)
	executor.Spawn(ex, future.Func[int](func(cx *future.Context) future.Poll[int] {
		polls.Add(1)
		waker = cx.Waker()
		return future.Done(1)
	}))
	executor.Spawn(ex, future.Func[int](func(*future.Context) future.Poll[int] {
		for range 10 {
			waker.Wake() // the first task is done by now
		}
		return future.Done(2)
	}))
	ex.Run()
	done := make(chan struct{})
	go func() { waker.Wake(); close(done) }()
	<-done
	ex.Run() // nothing is queued or live: returns at once, without parking
	if n := polls.Load(); n != 1 {
		t.Fatalf("finished task was polled %d times, want 1", n)
	}
}

// TestWakeDuringPoll checks the notified state: a wake that arrives while
// the task is being polled makes Run poll it again afterwards. If the wake
// were lost, Run would park, and failParker fails the test.
func TestWakeDuringPoll(t *testing.T) {
	t.Run("from the task itself", func(t *testing.T) {
		ex := executor.NewWith(failParker{t})
		polls := 0
		h := executor.Spawn(ex, future.Map(future.Yield(100, "ok"), func(s string) string {
			return s
		}))
		executor.Spawn(ex, future.Func[int](func(cx *future.Context) future.Poll[int] {
			polls++
			if polls <= 10 {
				cx.Waker().Wake()
				return future.Pending[int]()
			}
			return future.Done(polls)
		}))
		ex.Run()
		if got := mustResult(t, h); got != "ok" || polls != 11 {
			t.Fatalf("got %q, second task polled %d times; want \"ok\" and 11", got, polls)
		}
	})
	t.Run("from another goroutine", func(t *testing.T) {
		ex := executor.NewWith(failParker{t})
		polls := 0
		h := executor.Spawn(ex, future.Func[int](func(cx *future.Context) future.Poll[int] {
			polls++
			if polls == 1 {
				woke := make(chan struct{})
				go func() { cx.Waker().Wake(); close(woke) }()
				<-woke // the wake lands while this poll is running
				return future.Pending[int]()
			}
			return future.Done(polls)
		}))
		ex.Run()
		if got := mustResult(t, h); got != 2 {
			t.Fatalf("polled %d times, want 2", got)
		}
	})
}

// panicky is a future that panics when polled, and records whether it was
// cancelled afterwards.
type panicky struct{ cancelled bool }

func (p *panicky) Poll(*future.Context) future.Poll[int] { panic("boom") }
func (p *panicky) Cancel()                               { p.cancelled = true }

// TestPanicIsolation checks that a task that panics finishes with a
// *PanicError, is cancelled, and does not stop the other tasks, including
// one that awaits it.
func TestPanicIsolation(t *testing.T) {
	ex := executor.New()
	p := &panicky{}
	bad := executor.Spawn(ex, future.Then(future.Yield(3, 0), func(int) future.Future[int] { return p }))
	var others []*executor.JoinHandle[int]
	for i := range 5 {
		others = append(others, executor.Spawn(ex, future.Yield(i, i)))
	}
	awaiter := executor.Spawn(ex, future.Map[future.Result[int]](bad, func(r future.Result[int]) error {
		return r.Err
	}))
	ex.Run()

	_, err := bad.Result()
	var pe *executor.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("Result error = %v, want a *PanicError", err)
	}
	if pe.Value != "boom" || pe.Error() != "task panicked: boom" {
		t.Errorf("PanicError{Value: %v} says %q", pe.Value, pe.Error())
	}
	if !strings.Contains(string(pe.Stack), "(*panicky).Poll") {
		t.Errorf("PanicError.Stack does not show the panicking Poll:\n%s", pe.Stack)
	}
	if !p.cancelled {
		t.Error("the panicking future was not cancelled")
	}
	for i, h := range others {
		if got := mustResult(t, h); got != i {
			t.Errorf("task %d = %d, want %d", i, got, i)
		}
	}
	if got := mustResult(t, awaiter); !errors.As(got, &pe) {
		t.Errorf("awaiting task saw %v, want the *PanicError", got)
	}
}

// TestJoinHandleAwait checks that a task can await another through its
// JoinHandle (here one spawned after it, on a timer), that a goroutine
// outside the executor can too, and that Result says when a task has not
// finished.
func TestJoinHandleAwait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ex := executor.New()
		start := time.Now()
		var worker *executor.JoinHandle[int]
		awaiter := executor.Spawn(ex, future.Then(future.Ready(0), func(int) future.Future[int] {
			return future.Map[future.Result[int]](worker, func(r future.Result[int]) int {
				return r.Value + 1
			})
		}))
		worker = executor.Spawn(ex, future.Map(executor.Sleep(10*time.Millisecond), func(struct{}) int {
			return 41
		}))
		if _, err := worker.Result(); err != executor.ErrNotFinished {
			t.Errorf("Result before Run: err = %v, want ErrNotFinished", err)
		}
		outside := make(chan int)
		go func() {
			r := executor.BlockOn[future.Result[int]](awaiter)
			outside <- r.Value
		}()
		ex.Run()
		if got := <-outside; got != 42 {
			t.Errorf("BlockOn(awaiter) = %d, want 42", got)
		}
		if got := mustResult(t, worker); got != 41 {
			t.Errorf("worker = %d, want 41", got)
		}
		if d := time.Since(start); d != 10*time.Millisecond {
			t.Errorf("Run took %v of fake time, want 10ms", d)
		}
		defer func() {
			if recover() == nil {
				t.Error("polling a JoinHandle after Done did not panic")
			}
		}()
		awaiter.Poll(future.NewContext(future.NoopWaker))
	})
}

// TestManyWakers runs many tasks, each woken many times from several
// goroutines at once, and checks that every task finishes, that none is
// ever polled while it is already being polled, and that no task is polled
// more often than it was woken (plus its first poll). A lost wake-up hangs
// Run.
func TestManyWakers(t *testing.T) {
	const (
		tasks   = 500
		wakers  = 4
		rounds  = 20
		perTask = wakers * rounds // events each task waits for
	)
	ex := executor.New()
	var (
		allPolls atomic.Int64 // the watchdog's measure of progress
		events   [tasks]atomic.Int32
		polls    [tasks]int
		inPoll   [tasks]atomic.Bool
		taskW    [tasks]future.Waker
		ready    = make(chan struct{})
	)
	handles := make([]*executor.JoinHandle[int], tasks)
	for i := range tasks {
		handles[i] = executor.Spawn(ex, future.Func[int](func(cx *future.Context) future.Poll[int] {
			if !inPoll[i].CompareAndSwap(false, true) {
				t.Errorf("task %d polled while it was being polled", i)
			}
			defer inPoll[i].Store(false)
			allPolls.Add(1)
			polls[i]++
			if polls[i] == 1 {
				taskW[i] = cx.Waker()
				if i == tasks-1 {
					close(ready) // every task has its waker: start waking
				}
			}
			if events[i].Load() == perTask {
				return future.Done(polls[i])
			}
			return future.Pending[int]()
		}))
	}
	var wg sync.WaitGroup
	for range wakers {
		wg.Go(func() {
			<-ready
			for r := range rounds {
				for i := range tasks {
					events[i].Add(1)
					taskW[i].Wake()
					if (i+r)%64 == 0 {
						runtime.Gosched()
					}
				}
			}
		})
	}
	runWatched(t, ex, allPolls.Load)
	wg.Wait()
	for i, h := range handles {
		if n := mustResult(t, h); n > perTask+1 {
			t.Errorf("task %d woken %d times was polled %d times", i, perTask, n)
		}
	}
}

// TestSpawnFromOtherGoroutines spawns tasks from several goroutines while
// Run is running. A keeper task stays pending until they are all spawned,
// so Run cannot finish early; every task must then run.
func TestSpawnFromOtherGoroutines(t *testing.T) {
	ex := executor.New()
	var (
		keeperWaker = make(chan future.Waker, 1)
		allSpawned  atomic.Bool
		spawned     atomic.Int64 // the watchdog's measure of progress
	)
	executor.Spawn(ex, future.Func[struct{}](func(cx *future.Context) future.Poll[struct{}] {
		if allSpawned.Load() {
			return future.Done(struct{}{})
		}
		select {
		case keeperWaker <- cx.Waker():
		default:
		}
		return future.Pending[struct{}]()
	}))
	const spawners, each = 4, 250
	handles := make([][]*executor.JoinHandle[int], spawners)
	var wg sync.WaitGroup
	for s := range spawners {
		wg.Go(func() {
			for i := range each {
				handles[s] = append(handles[s], executor.Spawn(ex, future.Yield(i%3, s*each+i)))
				spawned.Add(1)
			}
		})
	}
	go func() {
		w := <-keeperWaker
		wg.Wait()
		allSpawned.Store(true)
		w.Wake()
	}()
	runWatched(t, ex, spawned.Load)
	for s := range spawners {
		for i, h := range handles[s] {
			if got := mustResult(t, h); got != s*each+i {
				t.Fatalf("task %d/%d = %d", s, i, got)
			}
		}
	}
}

// TestRunConcurrentlyPanics checks that a second Run, while one is running,
// is refused.
func TestRunConcurrentlyPanics(t *testing.T) {
	ex := executor.New()
	executor.Spawn(ex, future.Func[int](func(*future.Context) future.Poll[int] {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("Run inside Run did not panic")
				}
			}()
			ex.Run()
		}()
		return future.Done(0)
	}))
	ex.Run()
}
