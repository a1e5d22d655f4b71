package answers

import (
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
)

// ticker sleeps every, n times, and records the gap it really got.
type ticker struct {
	every time.Duration
	n     int
	last  time.Time
	sleep future.Future[struct{}]
	gaps  []time.Duration
}

func (t *ticker) Poll(cx *future.Context) future.Poll[[]time.Duration] {
	for {
		if t.sleep == nil {
			if len(t.gaps) == t.n {
				return future.Done(t.gaps)
			}
			t.last, t.sleep = time.Now(), executor.Sleep(t.every)
		}
		if !t.sleep.Poll(cx).IsDone() {
			return future.Pending[[]time.Duration]()
		}
		t.gaps, t.sleep = append(t.gaps, time.Since(t.last)), nil
	}
}

// gapsWith runs a ticker next to a task that, 25ms in, awaits wait, on the
// fake clock of a synctest bubble, and returns the ticker's gaps.
func gapsWith(t *testing.T, wait func(struct{}) future.Future[struct{}]) []time.Duration {
	var gaps []time.Duration
	synctest.Test(t, func(t *testing.T) {
		ex := executor.New()
		tick := executor.Spawn[[]time.Duration](ex, &ticker{every: 10 * time.Millisecond, n: 6})
		executor.Spawn(ex, future.Then(executor.Sleep(25*time.Millisecond), wait))
		ex.Run()
		var err error
		if gaps, err = tick.Result(); err != nil {
			t.Fatal(err)
		}
	})
	return gaps
}

// TestSpawnBlocking: with the 50ms block moved to its own goroutine, every
// gap is exactly 10ms on the fake clock; blocking inside Poll stretches one.
func TestSpawnBlocking(t *testing.T) {
	polite := gapsWith(t, func(struct{}) future.Future[struct{}] {
		return SpawnBlocking(func() struct{} { time.Sleep(50 * time.Millisecond); return struct{}{} })
	})
	for i, g := range polite {
		if g != 10*time.Millisecond {
			t.Errorf("SpawnBlocking: gap %d is %v, want 10ms", i, g)
		}
	}
	rude := gapsWith(t, func(struct{}) future.Future[struct{}] {
		return future.Func[struct{}](func(*future.Context) future.Poll[struct{}] {
			time.Sleep(50 * time.Millisecond)
			return future.Done(struct{}{})
		})
	})
	if longest := slices.Max(rude); longest < 50*time.Millisecond {
		t.Errorf("time.Sleep in Poll: longest gap %v, want at least 50ms", longest)
	}
}

// TestEager: a task that wakes itself 1000 times keeps the other task
// waiting for all 1000 polls under Eager, but not on the plain executor.
func TestEager(t *testing.T) {
	for _, tt := range []struct {
		name    string
		wrap    func(future.Future[int]) future.Future[int]
		starved bool
	}{
		{"queued", func(f future.Future[int]) future.Future[int] { return f }, false},
		{"eager", func(f future.Future[int]) future.Future[int] { return Eager(f, 10000) }, true},
	} {
		ex := executor.New()
		selfWaking := &countPolls[int]{f: future.Yield(1000, 0)}
		executor.Spawn(ex, tt.wrap(selfWaking))
		seen := -1 // selfWaking's polls when the other task first ran
		executor.Spawn(ex, future.Func[struct{}](func(*future.Context) future.Poll[struct{}] {
			seen = selfWaking.polls
			return future.Done(struct{}{})
		}))
		ex.Run()
		if got := seen == 1001; got != tt.starved {
			t.Errorf("%s: the other task first ran after %d polls of the self-waking one", tt.name, seen)
		}
	}
}

type countPolls[T any] struct {
	f     future.Future[T]
	polls int
}

func (c *countPolls[T]) Poll(cx *future.Context) future.Poll[T] {
	c.polls++
	return c.f.Poll(cx)
}

// readyNow is a future that is done at once, and costs no allocation to
// put in an interface.
type readyNow struct{}

func (readyNow) Poll(*future.Context) future.Poll[int] { return future.Done(1) }

// TestBlockOnAllocs: the lazy BlockOn allocates less for a ready future
// (the waker and the Context only) than executor.BlockOn does.
func TestBlockOnAllocs(t *testing.T) {
	lazy := testing.AllocsPerRun(100, func() { BlockOn[int](readyNow{}) })
	eager := testing.AllocsPerRun(100, func() { executor.BlockOn[int](readyNow{}) })
	if lazy > 2 || lazy >= eager {
		t.Errorf("lazy BlockOn: %v allocations; executor.BlockOn: %v; want at most 2, and fewer", lazy, eager)
	}
}

// TestBlockOnWakeBeforeParker races Set on another goroutine against the
// first poll and the Parker's arrival, many times; a lost wake would hang,
// and the watchdog turns that into a failure.
func TestBlockOnWakeBeforeParker(t *testing.T) {
	done := make(chan struct{})
	wrong := 0
	go func() {
		defer close(done)
		for range 2000 {
			var p future.Promise[int]
			var wg sync.WaitGroup
			wg.Go(func() { p.Set(7) })
			if v := BlockOn[int](&p); v != 7 {
				wrong++
			}
			wg.Wait()
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("BlockOn hung: a wake was lost")
	}
	if wrong > 0 {
		t.Errorf("BlockOn returned a wrong value %d times", wrong)
	}
}
