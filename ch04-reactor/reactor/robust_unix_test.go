//go:build linux || darwin || freebsd || netbsd || openbsd

package reactor

import (
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
	"golang.org/x/sys/unix"
)

// The reactor is the executor's TryParker: Run gives it a turn that does
// not sleep every 61 polls.
var _ executor.TryParker = (*Reactor)(nil)

// TestEdgeWhileNobodyWaits checks the property a reactor shared by several
// workers relies on: an edge that arrives while no future waits is
// recorded, so a Readable polled after the Park that saw it is done at
// once, without another wait.
func TestEdgeWhileNobodyWaits(t *testing.T) {
	r := newReactor(t)
	reg, _, wr := registeredPipe(t, r)
	if _, err := unix.Write(wr, []byte("x")); err != nil {
		t.Fatal(err)
	}
	parkWatched(t, r, "Park did not return for a readable pipe")
	w := new(counter)
	if err := mustDone(t, reg.Readable(), w.cx()); err != nil {
		t.Fatalf("Readable = %v, want nil", err)
	}
}

// TestSleepLatestWaker checks rule 2 of the future contract for the
// reactor's Sleep: the timer wakes the waker of the latest Poll.
func TestSleepLatestWaker(t *testing.T) {
	r := newReactor(t)
	first, second := new(counter), new(counter)
	s := r.Sleep(time.Hour)
	mustPending(t, s, first.cx())
	mustPending(t, s, second.cx())
	r.advance(2 * time.Hour)
	r.Park()
	if first.count() != 0 || second.count() != 1 {
		t.Fatalf("wakes: first %d, second %d; want 0 and 1", first.count(), second.count())
	}
}

// TestClosedParkWaitsForUnpark checks that Park on a closed Reactor
// sleeps until Unpark, instead of returning at once (which turns an
// executor with a pending task into a busy loop). synctest tells us when
// the parked goroutine is durably blocked, without waiting.
func TestClosedParkWaitsForUnpark(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := New()
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		r.Park() // Close's own Unpark left a token: this one returns
		var returned atomic.Bool
		go func() {
			r.Park()
			returned.Store(true)
		}()
		synctest.Wait()
		if returned.Load() {
			t.Fatal("Park on a closed Reactor returned with no Unpark")
		}
		r.Unpark()
		synctest.Wait()
		if !returned.Load() {
			t.Fatal("Park on a closed Reactor did not return after Unpark")
		}
	})
}

// parkCounter is a Parker that counts the Park calls it passes on. After
// 100 it stops passing them on and blocks for good instead, so that a
// Run that spins comes to rest and the test can report it.
type parkCounter struct {
	*Reactor
	parks atomic.Int64
	stuck chan struct{}
}

func (p *parkCounter) Park() {
	if p.parks.Add(1) > 100 {
		<-p.stuck
	}
	p.Reactor.Park()
}

// TestExecutorOnClosedReactor runs a task that stays pending on an
// executor whose reactor is closed. Run must sleep, not spin, until a
// waker from another goroutine lets the task finish.
func TestExecutorOnClosedReactor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, err := New()
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		p := &parkCounter{Reactor: r, stuck: make(chan struct{})}
		ex := executor.NewWith(p)
		var promise future.Promise[int]
		h := executor.Spawn[int](ex, &promise)
		done := make(chan struct{})
		go func() {
			defer close(done)
			ex.Run()
		}()
		synctest.Wait() // Run is durably blocked
		parks := p.parks.Load()
		promise.Set(5)
		close(p.stuck)
		<-done
		if parks > 2 {
			t.Fatalf("Run parked %d times with nothing to do: a busy loop", parks)
		}
		if v, err := h.Result(); err != nil || v != 5 {
			t.Fatalf("Result = %d, %v; want 5", v, err)
		}
	})
}

// TestSecondWaiterRefused checks that a second pending Readable on one
// registration is refused loudly, instead of silently taking the first
// one's place and leaving it waiting for ever; and that cancelling the
// first hands the direction over.
func TestSecondWaiterRefused(t *testing.T) {
	r := newReactor(t)
	reg, _, _ := registeredPipe(t, r)
	w := new(counter)
	first, second := reg.Readable(), reg.Readable()
	mustPending(t, first, w.cx())
	func() {
		defer func() {
			v, _ := recover().(string)
			if !strings.Contains(v, "a second Readable future polled while another is pending") {
				t.Errorf("second Readable: panic %q, want the second-waiter message", v)
			}
		}()
		second.Poll(w.cx())
	}()
	mustPending(t, first, w.cx()) // the first is still the waiter
	future.Cancel(first)
	mustPending(t, reg.Readable(), w.cx())
}

// TestWakerPanicContained makes the first of two wakers panic during
// Park's dispatch. The other must still be woken, the panic must reach
// Park's caller, and the next Park must work as before.
func TestWakerPanicContained(t *testing.T) {
	r := newReactor(t)
	good := new(counter)
	bad := future.NewContext(future.WakerFunc(func() { panic("bad waker") }))
	s1, s2 := r.Sleep(time.Hour), r.Sleep(time.Hour+time.Second)
	mustPending(t, s1, bad)
	mustPending(t, s2, good.cx())
	r.advance(2 * time.Hour)
	func() {
		defer func() {
			if v := recover(); v != "bad waker" {
				t.Errorf("Park panicked with %v, want the waker's panic", v)
			}
		}()
		r.Park()
	}()
	if good.count() != 1 {
		t.Fatalf("the waker after the one that panicked was woken %d times, want 1", good.count())
	}
	s3 := r.Sleep(time.Hour)
	mustPending(t, s3, good.cx())
	r.advance(2 * time.Hour)
	r.Park()
	if good.count() != 2 {
		t.Fatalf("Park after the panic woke %d, want 2 wakes in all", good.count())
	}
}

// selfWaker is a task that wakes itself and stays pending until stop is
// set (or it has been polled far too often, so that a broken executor
// fails the test instead of looping for ever).
func selfWaker(stop *atomic.Bool, polls *atomic.Int64) future.Future[struct{}] {
	return future.Func[struct{}](func(cx *future.Context) future.Poll[struct{}] {
		if polls.Add(1) > 100_000 || stop.Load() {
			return future.Done(struct{}{})
		}
		cx.Waker().Wake()
		return future.Pending[struct{}]()
	})
}

// TestBusyExecutorStillPolls runs a task that wakes itself for ever next
// to one that waits for I/O and one that waits for a timer. Run never
// finds its queue empty, so it never parks; the reactor's I/O and timers
// must still reach their tasks through the executor's TryPark turns,
// within a few event intervals (61 polls each). Both are ready before the
// busy task starts (the pipe has data; the clock is moved past the
// deadline), so the bound does not depend on the machine's speed.
func TestBusyExecutorStillPolls(t *testing.T) {
	r := newReactor(t)
	reg, _, wr := registeredPipe(t, r)
	ex := executor.NewWith(r)
	var stop atomic.Bool
	var polls atomic.Int64
	var ready atomic.Int32
	both := func(struct{}) struct{} {
		if ready.Add(1) == 2 {
			stop.Store(true)
		}
		return struct{}{}
	}
	executor.Spawn(ex, future.Map(reg.Readable(), func(error) struct{} { return both(struct{}{}) }))
	executor.Spawn(ex, future.Map(r.Sleep(time.Hour), both))
	// Spawned after the sleep, so first polled after it has armed its
	// timer: then move the clock past the deadline.
	executor.Spawn(ex, future.Then(future.Ready(0), func(int) future.Future[struct{}] {
		r.advance(2 * time.Hour)
		return selfWaker(&stop, &polls)
	}))
	if _, err := unix.Write(wr, []byte("x")); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		ex.Run()
	}()
	await(t, done, polls.Load, "Run did not return")
	if n := polls.Load(); n > 3*61 {
		t.Fatalf("the busy task was polled %d times before I/O and the timer got through, want at most %d", n, 3*61)
	}
}

// TestLateSleepsKeepDeadlineOrder makes two sleeps due before their first
// poll, the later deadline spawned first. They must still finish in
// deadline order: a sleep that is due goes through the heap like any
// other, instead of being done on the spot in whatever order Run polls.
// (The test's time.Sleep only makes both deadlines pass; however long it
// takes, the order must hold.)
func TestLateSleepsKeepDeadlineOrder(t *testing.T) {
	r := newReactor(t)
	ex := executor.NewWith(r)
	var order []int
	for _, ms := range []int{2, 1} {
		executor.Spawn(ex, future.Map(r.Sleep(time.Duration(ms)*time.Millisecond), func(struct{}) struct{} {
			order = append(order, ms)
			return struct{}{}
		}))
	}
	time.Sleep(3 * time.Millisecond)
	ex.Run()
	if len(order) != 2 || order[0] != 1 || order[1] != 2 {
		t.Fatalf("sleeps of 2ms and 1ms, both due before Run, finished in the order %v, want [1 2]", order)
	}
}

// TestParkSpendsWakersUnpark checks that the Unpark a waker makes while
// Park wakes it (what chapter 3's executor does when it queues the task)
// is spent by that Park: the next Park asks the kernel again, instead of
// returning at once on a stale token.
func TestParkSpendsWakersUnpark(t *testing.T) {
	r := newReactor(t)
	var waits atomic.Int32
	r.OnWait(func(Wait) { waits.Add(1) })
	unparks := future.NewContext(future.WakerFunc(r.Unpark))
	s := r.Sleep(time.Hour)
	mustPending(t, s, unparks)
	r.advance(2 * time.Hour)
	r.Park() // fires s, whose waker unparks
	mustDone(t, s, unparks)
	if n := waits.Load(); n != 1 {
		t.Fatalf("the first Park made %d waits, want 1", n)
	}
	s2 := r.Sleep(time.Hour)
	mustPending(t, s2, unparks)
	r.advance(2 * time.Hour)
	r.Park() // must wait in the kernel (timeout 0: s2 is due), not skip it
	if n := waits.Load(); n != 2 {
		t.Fatalf("the second Park made %d waits, want 1: the token of the first Park's waker was left behind", n-1)
	}
	mustDone(t, s2, unparks)
}
