package future

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// These tests drive combinators the way an executor will: the waker signals
// a channel, and the loop polls only after a wake-up. They run inside a
// synctest bubble, so a lost wake-up does not hang the test: the loop's
// receive becomes durably blocked, and synctest reports the deadlock.

// blockOn polls f until it is done, waiting for a wake-up between polls,
// and returns its value and how many times it polled.
func blockOn[T any](f Future[T]) (T, int) {
	woken := make(chan struct{}, 1)
	cx := NewContext(WakerFunc(func() {
		select {
		case woken <- struct{}{}:
		default: // a wake-up is already waiting; one is enough
		}
	}))
	for polls := 1; ; polls++ {
		if v, ok := f.Poll(cx).Value(); ok {
			return v, polls
		}
		<-woken
	}
}

// timer is a test future that is done once its deadline passes. On Pending
// it arms a time.AfterFunc that wakes the waker of the latest poll; Cancel
// stops the timer. fired counts the timer's firings across all timers that
// share it.
type timer struct {
	deadline time.Time
	fired    *atomic.Int64

	mu    sync.Mutex
	waker Waker
	t     *time.Timer
}

func newTimer(d time.Duration, fired *atomic.Int64) *timer {
	return &timer{deadline: time.Now().Add(d), fired: fired}
}

func (s *timer) Poll(cx *Context) Poll[time.Duration] {
	if !time.Now().Before(s.deadline) {
		return Done(time.Until(s.deadline))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waker = cx.Waker()
	if s.t == nil {
		s.t = time.AfterFunc(time.Until(s.deadline), s.fire)
	}
	return Pending[time.Duration]()
}

func (s *timer) fire() {
	s.fired.Add(1)
	s.mu.Lock()
	w := s.waker
	s.mu.Unlock()
	w.Wake()
}

func (s *timer) Cancel() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.t != nil {
		s.t.Stop()
	}
}

func TestJoinTimers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var fired atomic.Int64
		const n = 100
		fs := make([]Future[time.Duration], n)
		longest := time.Duration(0)
		for i := range fs {
			d := time.Duration(1+rand.IntN(50)) * time.Millisecond
			longest = max(longest, d)
			fs[i] = newTimer(d, &fired)
		}
		start := time.Now()
		late, polls := blockOn(Join(fs...))
		if got := time.Since(start); got != longest {
			t.Errorf("Join of timers took %v, want the longest, %v", got, longest)
		}
		for i, d := range late {
			if d != 0 {
				t.Errorf("timer %d finished %v after its deadline", i, d)
			}
		}
		// One poll to start, then at most one per wake-up: the loop
		// never polls without one, and each timer wakes once.
		if polls > n+1 {
			t.Errorf("polled %d times; only %d wake-ups happened", polls, n)
		}
		synctest.Wait() // let timers due at the last instant finish firing
		if fired.Load() != n {
			t.Errorf("%d timers fired, want %d", fired.Load(), n)
		}
	})
}

// TestSelectCancelsTimers checks that Select's Cancel of its losers reaches
// the timers: after the winner fires, no other timer ever does.
func TestSelectCancelsTimers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var fired atomic.Int64
		f := Select[time.Duration](
			newTimer(30*time.Millisecond, &fired),
			newTimer(10*time.Millisecond, &fired),
			newTimer(20*time.Millisecond, &fired),
		)
		won, polls := blockOn(f)
		if won.Index != 1 || polls != 2 {
			t.Errorf("Select won by %d after %d polls; want 1 after 2", won.Index, polls)
		}
		time.Sleep(time.Hour) // long past every deadline
		if got := fired.Load(); got != 1 {
			t.Errorf("%d timers fired, want 1: the losers were not cancelled", got)
		}
	})
}

// TestWakesFromManyGoroutines completes the children of Join, TryJoin and
// Select from many goroutines at once, racing with the polls. Under -race
// it checks that nothing in the combinators is shared unsafely; in the
// bubble it checks that no wake-up is lost.
func TestWakesFromManyGoroutines(t *testing.T) {
	const rounds, n = 200, 16
	for range rounds {
		synctest.Test(t, func(t *testing.T) {
			sigs := make([]*Promise[int], 3*n)
			for i := range sigs {
				sigs[i] = new(Promise[int])
				go sigs[i].Set(i)
			}
			join := make([]Future[int], n)
			try := make([]Future[Result[int]], n)
			sel := make([]Future[int], n)
			for i := range n {
				join[i] = sigs[i]
				try[i] = Map[int](sigs[n+i], Ok[int])
				sel[i] = sigs[2*n+i]
			}
			all := Join(
				Map(Join(join...), func(v []int) int { return v[n-1] }),
				Map(TryJoin(try...), func(r Result[[]int]) int { return r.Value[n-1] }),
				Map(Select(sel...), func(s Selected[int]) int { return s.Value - s.Index }),
			)
			got, _ := blockOn(all)
			if got[0] != n-1 || got[1] != 2*n-1 || got[2] != 2*n {
				t.Fatalf("got %v, want [%d %d %d]", got, n-1, 2*n-1, 2*n)
			}
		})
	}
}
