//go:build linux || darwin || freebsd || netbsd || openbsd

package reactor

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
	"golang.org/x/sys/unix"
)

// TestPipeReadable follows one pipe through the edge-triggered protocol:
// pending while empty, woken by Park once data arrives, done, and pending
// again only after the reader has drained the pipe to EAGAIN.
func TestPipeReadable(t *testing.T) {
	r := newReactor(t)
	reg, rd, wr := registeredPipe(t, r)

	w := new(counter)
	f := reg.Readable()
	mustPending(t, f, w.cx())

	if _, err := unix.Write(wr, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	r.Park() // the pipe is readable, so this returns without a timer
	if w.count() != 1 {
		t.Fatalf("after Park the waker was woken %d times, want 1", w.count())
	}
	if err := mustDone(t, f, w.cx()); err != nil {
		t.Fatalf("Readable = %v, want nil", err)
	}
	mustPanic(t, "reactor: Readable or Writable polled after it was done or cancelled", func() { f.Poll(w.cx()) })

	if got := drain(t, rd); got != "hello" {
		t.Fatalf("read %q, want hello", got)
	}
	g := reg.Readable()
	mustPending(t, g, w.cx())

	// An edge that arrives while nobody waits is remembered: the next
	// Readable is done at once.
	if _, err := unix.Write(wr, []byte("again")); err != nil {
		t.Fatal(err)
	}
	r.Park()
	if err := mustDone(t, g, w.cx()); err != nil {
		t.Fatal(err)
	}
}

// TestHangupIsReadable checks that closing the writer wakes a reader,
// whose read then says end of file.
func TestHangupIsReadable(t *testing.T) {
	r := newReactor(t)
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	rd := p[0]
	defer unix.Close(rd)
	unix.SetNonblock(rd, true)
	reg, err := r.Register(rd)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Deregister()
	w := new(counter)
	f := reg.Readable()
	mustPending(t, f, w.cx())
	unix.Close(p[1])
	r.Park()
	if err := mustDone(t, f, w.cx()); err != nil {
		t.Fatal(err)
	}
	if n, err := unix.Read(rd, make([]byte, 8)); n != 0 || err != nil {
		t.Fatalf("read after hang-up = %d, %v; want 0, nil (EOF)", n, err)
	}
}

// TestWritableAfterDrain fills a pipe, so Writable is pending, then drains
// it from the other end, and checks that Park makes Writable done.
func TestWritableAfterDrain(t *testing.T) {
	r := newReactor(t)
	rd, wr := pipe(t)
	if fill(t, wr) == 0 {
		t.Fatal("could not write to a new pipe")
	}
	reg, err := r.Register(wr)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Deregister()
	w := new(counter)
	f := reg.Writable()
	mustPending(t, f, w.cx())
	drain(t, rd)
	r.Park()
	if w.count() != 1 {
		t.Fatalf("waker woken %d times, want 1", w.count())
	}
	if err := mustDone(t, f, w.cx()); err != nil {
		t.Fatal(err)
	}
}

// TestLatestWakerWins checks rule 2 of the future contract for Readable:
// the waker of the latest poll is the one woken.
func TestLatestWakerWins(t *testing.T) {
	r := newReactor(t)
	reg, _, wr := registeredPipe(t, r)
	first, second := new(counter), new(counter)
	f := reg.Readable()
	mustPending(t, f, first.cx())
	mustPending(t, f, second.cx())
	unix.Write(wr, []byte("x"))
	r.Park()
	if first.count() != 0 || second.count() != 1 {
		t.Fatalf("wakes: first %d, second %d; want 0 and 1", first.count(), second.count())
	}
}

// TestRegisterErrors checks the errors Register gives for what it cannot
// watch.
func TestRegisterErrors(t *testing.T) {
	r := newReactor(t)

	f, err := os.CreateTemp(t.TempDir(), "regular")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := r.Register(int(f.Fd())); !errors.Is(err, ErrRegularFile) {
		t.Errorf("Register(regular file) = %v, want ErrRegularFile", err)
	}

	_, rd, _ := registeredPipe(t, r)
	_, err = r.Register(rd)
	if want := fmt.Sprintf("reactor: register fd %d: already registered", rd); err == nil || err.Error() != want {
		t.Errorf("second Register = %v, want %q", err, want)
	}

	_, err = r.Register(-1)
	if !errors.Is(err, unix.EBADF) {
		t.Errorf("Register(-1) = %v, want EBADF", err)
	}
}

// TestDeregister checks that Deregister wakes a pending future with
// ErrClosed, that the descriptor has left the kernel's interest set, and
// that a second Deregister is harmless.
func TestDeregister(t *testing.T) {
	r := newReactor(t)
	rd, wr := pipe(t)
	reg, err := r.Register(rd)
	if err != nil {
		t.Fatal(err)
	}
	w := new(counter)
	f := reg.Readable()
	mustPending(t, f, w.cx())
	if err := reg.Deregister(); err != nil {
		t.Fatal(err)
	}
	if w.count() != 1 {
		t.Fatalf("Deregister woke the waker %d times, want 1", w.count())
	}
	if err := mustDone(t, f, w.cx()); err != ErrClosed {
		t.Fatalf("Readable after Deregister = %v, want ErrClosed", err)
	}
	if err := mustDone(t, reg.Writable(), w.cx()); err != ErrClosed {
		t.Fatalf("Writable after Deregister = %v, want ErrClosed", err)
	}
	if err := reg.Deregister(); err != nil {
		t.Errorf("second Deregister = %v, want nil", err)
	}
	// The kernel no longer watches rd: asking it to forget rd again fails.
	if err := r.p.del(rd); !errors.Is(err, unix.ENOENT) {
		t.Errorf("del after Deregister = %v, want ENOENT", err)
	}
	// Data on the pipe now produces no event: Park returns for its timer.
	unix.Write(wr, []byte("x"))
	waitFor(t, r, r.Sleep(time.Millisecond), func(w Wait) {
		if w.Events != 0 {
			t.Errorf("wait after Deregister returned %d events, want 0", w.Events)
		}
	})
}

// waitFor parks r until f is done, reporting every wait to check.
func waitFor[T any](t *testing.T, r *Reactor, f future.Future[T], check func(Wait)) T {
	t.Helper()
	r.OnWait(check)
	defer r.OnWait(nil)
	w := new(counter)
	for {
		if v, ok := f.Poll(w.cx()).Value(); ok {
			return v
		}
		r.Park()
	}
}

// TestCloseWhileRegistered follows the safe order for closing a watched
// descriptor (Deregister, then close), then closes the reactor with a
// registration, a sleep and a Readable still pending.
func TestCloseWhileRegistered(t *testing.T) {
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	rd, wr := pipe(t)
	old, err := r.Register(rd)
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Deregister(); err != nil {
		t.Fatal(err)
	}
	unix.Close(rd) // the number may now be reused; the reactor has forgotten it
	unix.Close(wr)
	waitFor(t, r, r.Sleep(time.Millisecond), func(Wait) {})

	rd2, _ := pipe(t)
	reg, err := r.Register(rd2)
	if err != nil {
		t.Fatal(err)
	}
	w := new(counter)
	readable, sleep := reg.Readable(), r.Sleep(time.Hour)
	mustPending(t, readable, w.cx())
	mustPending(t, sleep, w.cx())
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if w.count() != 2 {
		t.Fatalf("Close woke %d wakers, want 2", w.count())
	}
	if err := mustDone(t, readable, w.cx()); err != ErrClosed {
		t.Errorf("Readable after Close = %v, want ErrClosed", err)
	}
	mustDone(t, sleep, w.cx())
	mustDone(t, r.Sleep(time.Hour), w.cx())
	if _, err := r.Register(rd2); err != ErrClosed {
		t.Errorf("Register after Close = %v, want ErrClosed", err)
	}
	if err := reg.Deregister(); err != nil {
		t.Errorf("Deregister after Close = %v, want nil", err)
	}
	r.Unpark() // touches no closed descriptor
	r.Park()   // returns at once: the Unpark left its token
	if err := r.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

// TestCloseWakesPark closes the reactor while another goroutine is parked
// in the kernel with nothing to wait for.
func TestCloseWakesPark(t *testing.T) {
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	parked := make(chan struct{})
	go func() {
		r.Park()
		close(parked)
	}()
	closed := make(chan error, 1)
	go func() { closed <- r.Close() }()
	await(t, parked, nil, "Park did not return when Close unparked it")
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}

// TestTimerOrder runs sleeps spawned in a mixed order on chapter 3's
// executor and checks that they finish in deadline order. The deadlines
// lie an hour ahead, so that none can pass before Run has armed them all,
// however busy the machine; a last task then moves the reactor's clock
// past all of them (advance), and they must come out of the heap in order.
// A sleep of zero is done on its first poll, before any of them.
func TestTimerOrder(t *testing.T) {
	r := newReactor(t)
	ex := executor.NewWith(r)
	durations := []time.Duration{30, 0, 10, 25, 5, 20}
	var order []time.Duration
	for _, d := range durations {
		after := d * time.Millisecond
		if d > 0 {
			after += time.Hour
		}
		executor.Spawn(ex, future.Map(r.Sleep(after), func(struct{}) struct{} {
			order = append(order, d)
			return struct{}{}
		}))
	}
	executor.Spawn(ex, future.Func[struct{}](func(*future.Context) future.Poll[struct{}] {
		r.advance(2 * time.Hour) // every sleep above is armed by now
		return future.Done(struct{}{})
	}))
	ex.Run()
	if !slices.IsSorted(order) || len(order) != len(durations) {
		t.Fatalf("sleeps finished in the order %v, want ascending", order)
	}
	if n := r.pendingTimers(); n != 0 {
		t.Errorf("%d timers left in the heap", n)
	}
}

// TestOneWaitPerTimer checks that the reactor sleeps in the kernel at
// most once per timer, with no busy loop and no extra wait caused by the
// executor's Unpark from inside Park: every wait ends by its timeout,
// with no event, and expires at least one timer. (A busy machine may
// deliver two timers to one wait, so the count of waits is not fixed.)
func TestOneWaitPerTimer(t *testing.T) {
	r := newReactor(t)
	var waits []Wait
	var left []int // timers still in the heap after each wait
	r.OnWait(func(w Wait) {
		waits = append(waits, w)
		left = append(left, r.pendingTimers())
	})
	ex := executor.NewWith(r)
	for _, d := range []time.Duration{3, 1, 2} {
		executor.Spawn(ex, r.Sleep(d*time.Millisecond))
	}
	ex.Run()
	if len(waits) == 0 || len(waits) > 3 {
		t.Fatalf("%d waits for 3 timers, want 1 to 3: %+v", len(waits), waits)
	}
	for i, w := range waits {
		if w.Woken || w.Events != 0 || w.Timeout < 0 {
			t.Errorf("wait %+v: want a timeout with no events and no wake-up", w)
		}
		if prev := 3; i > 0 {
			prev = left[i-1]
			if left[i] >= prev {
				t.Errorf("wait %d left %d timers of %d: it expired none", i, left[i], prev)
			}
		}
	}
	if left[len(left)-1] != 0 {
		t.Errorf("%d timers left after the last wait", left[len(left)-1])
	}
}

// TestTimerCancel checks that a cancelled sleep leaves the heap, never
// wakes, and cannot be polled again; and that Select's loser is cancelled.
func TestTimerCancel(t *testing.T) {
	r := newReactor(t)
	w := new(counter)
	long, short := r.Sleep(time.Hour), r.Sleep(time.Hour)
	mustPending(t, long, w.cx())
	mustPending(t, short, w.cx())
	if n := r.pendingTimers(); n != 2 {
		t.Fatalf("%d timers in the heap, want 2", n)
	}
	future.Cancel(long)
	future.Cancel(long)
	if n := r.pendingTimers(); n != 1 {
		t.Fatalf("%d timers in the heap after Cancel, want 1", n)
	}
	mustPanic(t, "reactor: Sleep polled after it was done or cancelled", func() { long.Poll(w.cx()) })
	future.Cancel(short)

	ex := executor.NewWith(r)
	h := executor.Spawn(ex, future.Select(r.Sleep(time.Millisecond), r.Sleep(time.Hour)))
	ex.Run()
	if v, err := h.Result(); err != nil || v.Index != 0 {
		t.Fatalf("Select = %+v, %v; want index 0", v, err)
	}
	if n := r.pendingTimers(); n != 0 {
		t.Errorf("%d timers left after Select, want 0", n)
	}
	if w.count() != 0 {
		t.Errorf("cancelled timers woke %d times", w.count())
	}
}

// TestManyTimers puts 100,000 sleeps with shuffled deadlines in the heap,
// cancels a random tenth of them, and checks that the rest all fire, in
// deadline order, and the cancelled ones never do. The deadlines lie an
// hour ahead, so that none has passed by the time all are polled however
// slow the machine; then the test moves the reactor's clock on two hours
// (advance) instead of waiting.
func TestManyTimers(t *testing.T) {
	const n = 100_000
	r := newReactor(t)
	rng := rand.New(rand.NewPCG(1, 2))
	sleeps := make([]*sleep, n)
	for i := range sleeps {
		d := time.Hour + time.Duration(rng.IntN(20_000))*time.Microsecond
		sleeps[i] = r.Sleep(d).(*sleep)
	}
	var fired []int
	for i, s := range sleeps {
		mustPending(t, s, future.NewContext(future.WakerFunc(func() { fired = append(fired, i) })))
	}
	if err := r.checkHeap(); err != nil {
		t.Fatal(err)
	}
	cancelled := make(map[int]bool)
	for _, i := range rng.Perm(n)[:n/10] {
		future.Cancel(sleeps[i])
		cancelled[i] = true
	}
	if err := r.checkHeap(); err != nil {
		t.Fatal(err)
	}
	want := n - len(cancelled)
	if got := r.pendingTimers(); got != want {
		t.Fatalf("%d timers in the heap, want %d", got, want)
	}
	r.advance(2 * time.Hour)
	for r.pendingTimers() > 0 {
		r.Park()
	}
	if len(fired) != want {
		t.Fatalf("%d timers fired, want %d", len(fired), want)
	}
	for k, i := range fired {
		if cancelled[i] {
			t.Fatalf("cancelled timer %d fired", i)
		}
		if k > 0 && sleeps[i].when.Before(sleeps[fired[k-1]].when) {
			t.Fatalf("timer %d fired after timer %d, whose deadline is later", i, fired[k-1])
		}
	}
}

// TestEINTRRetried makes the wait fail with EINTR three times, through a
// poller that wraps the real one, and checks that Park waits again each
// time and returns only for its timer.
func TestEINTRRetried(t *testing.T) {
	r := newReactor(t)
	fake := &interrupting{poller: r.p, left: 3}
	r.p = fake
	var waits []Wait
	s := r.Sleep(time.Hour) // an hour: it cannot be due before its first poll
	mustPending(t, s, new(counter).cx())
	r.advance(2 * time.Hour)
	waitFor(t, r, s, func(w Wait) { waits = append(waits, w) })
	if fake.calls != 4 {
		t.Errorf("wait called %d times, want 4 (3 interrupted, 1 real)", fake.calls)
	}
	if len(waits) != 1 {
		t.Errorf("OnWait saw %d waits, want 1 (interrupted waits are not reported)", len(waits))
	}
}

// interrupting is a poller whose first waits fail as if a signal had
// interrupted them.
type interrupting struct {
	poller
	left, calls int
}

func (p *interrupting) wait(evs []event, timeout time.Duration) (int, error) {
	p.calls++
	if p.left > 0 {
		p.left--
		return 0, errInterrupted
	}
	return p.poller.wait(evs, timeout)
}

// TestSignalsDuringPark sends the process signals while Park waits for a
// timer. Whichever thread the kernel interrupts, Park must neither panic
// nor return before the timer's deadline.
func TestSignalsDuringPark(t *testing.T) {
	r := newReactor(t)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1)
	defer signal.Stop(sigs)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				syscall.Kill(os.Getpid(), syscall.SIGUSR1)
				runtime.Gosched()
			}
		}
	})
	const d = 20 * time.Millisecond
	start := time.Now()
	waitFor(t, r, r.Sleep(d), func(Wait) {})
	close(stop)
	wg.Wait()
	if e := time.Since(start); e < d {
		t.Fatalf("sleep of %v ended after %v", d, e)
	}
}

// TestUnparkStress races Unpark from other goroutines against Park, many
// times. A lost wake-up leaves Park blocked forever (there are no timers),
// which the watchdog reports.
func TestUnparkStress(t *testing.T) {
	r := newReactor(t)
	iterations := 20_000
	if testing.Short() {
		iterations = 2_000
	}
	done := make(chan struct{})
	var rounds atomic.Int64
	go func() {
		defer close(done)
		for range iterations {
			go r.Unpark()
			r.Park()
			rounds.Add(1)
		}
	}()
	await(t, done, rounds.Load, "Park did not return after an Unpark: a lost wake-up")
}

// TestCrossGoroutineWakeStress runs many tasks on the executor, each
// waiting for a flag that another goroutine sets at a random moment,
// before or after the task's poll. Every task must finish: the wake-up
// crosses from the setting goroutine into a Park blocked in the kernel.
func TestCrossGoroutineWakeStress(t *testing.T) {
	rounds, tasks := 20, 200
	if testing.Short() {
		rounds = 3
	}
	for range rounds {
		r := newReactor(t)
		ex := executor.NewWith(r)
		var handles []*executor.JoinHandle[int]
		var setters sync.WaitGroup
		for i := range tasks {
			p := new(future.Promise[int])
			handles = append(handles, executor.Spawn[int](ex, p))
			setters.Go(func() {
				for range rand.IntN(100) {
					runtime.Gosched()
				}
				p.Set(i)
			})
		}
		done := make(chan struct{})
		go func() { ex.Run(); close(done) }()
		await(t, done, nil, "the executor did not finish: a lost wake-up")
		setters.Wait()
		for i, h := range handles {
			if v, err := h.Result(); err != nil || v != i {
				t.Fatalf("task %d = %d, %v", i, v, err)
			}
		}
	}
}

// TestSleepFromAnotherGoroutine adds an earlier timer while Park is blocked
// on a later one, from another goroutine: the blocked wait must be cut
// short (a wait that ends with the wake-up), or the Park would wait an
// hour. The earlier timer is half an hour away, so that it cannot be due
// before it is polled, however busy the machine.
func TestSleepFromAnotherGoroutine(t *testing.T) {
	r := newReactor(t)
	w := new(counter)
	late := r.Sleep(time.Hour)
	mustPending(t, late, w.cx())
	defer future.Cancel(late)
	var woken atomic.Bool
	r.OnWait(func(w Wait) { woken.Store(w.Woken) })

	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Park()
	}()
	for !r.sleeping.Load() {
		runtime.Gosched() // until Park has committed to the kernel
	}
	early := r.Sleep(time.Hour / 2)
	mustPending(t, early, w.cx())
	defer future.Cancel(early)
	await(t, done, nil, "Park kept waiting for the hour-long timer: adding an earlier one did not interrupt it")
	if !woken.Load() {
		t.Error("Park returned, but not from the wake-up")
	}
}

// TestNoFDLeaks opens and closes many reactors, each with a registration,
// and checks that the process has as many descriptors open as before.
func TestNoFDLeaks(t *testing.T) {
	dir := "/proc/self/fd"
	if runtime.GOOS != "linux" {
		dir = "/dev/fd"
	}
	count := func() int {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Skipf("cannot count open descriptors: %v", err)
		}
		return len(ents)
	}
	before := count()
	for range 100 {
		r, err := New()
		if err != nil {
			t.Fatal(err)
		}
		var p [2]int
		if err := unix.Pipe(p[:]); err != nil {
			t.Fatal(err)
		}
		unix.SetNonblock(p[0], true)
		reg, err := r.Register(p[0])
		if err != nil {
			t.Fatal(err)
		}
		r.Unpark()
		r.Park()
		reg.Deregister()
		unix.Close(p[0])
		unix.Close(p[1])
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if after := count(); after != before {
		t.Fatalf("%d descriptors open before, %d after 100 New/Close", before, after)
	}
}
