package executor

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// TestParkerKeepsOneToken checks chanParker's one-token rule: any number of
// Unparks before a Park let exactly one Park through, and the next Park
// waits for the next Unpark.
func TestParkerKeepsOneToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewParker()
		p.Unpark()
		p.Unpark()
		p.Unpark()
		p.Park() // the token is there: returns at once

		var returned atomic.Bool
		go func() {
			p.Park()
			returned.Store(true)
		}()
		synctest.Wait() // the goroutine is parked, or has returned
		if returned.Load() {
			t.Fatal("second Park returned without an Unpark: three Unparks left more than one token")
		}
		p.Unpark()
		synctest.Wait()
		if !returned.Load() {
			t.Fatal("Park did not return after Unpark")
		}
	})
}

// TestBlockOnReady checks that a future that is done at once is polled once.
func TestBlockOnReady(t *testing.T) {
	polls := 0
	got := BlockOn(future.Func[int](func(*future.Context) future.Poll[int] {
		polls++
		return future.Done(7)
	}))
	if got != 7 || polls != 1 {
		t.Fatalf("BlockOn = %d after %d polls, want 7 after 1", got, polls)
	}
}

// onceWoken is a future that is done only after its waker has been woken,
// and that hands its waker to arm on the first poll. It counts its polls.
type onceWoken struct {
	arm   func(future.Waker)
	woken atomic.Bool
	polls int
}

func (f *onceWoken) Poll(cx *future.Context) future.Poll[int] {
	f.polls++
	if f.woken.Load() {
		return future.Done(f.polls)
	}
	if f.polls == 1 {
		w := cx.Waker()
		f.arm(future.WakerFunc(func() { f.woken.Store(true); w.Wake() }))
	}
	return future.Pending[int]()
}

// TestBlockOnWokenOncePolledTwice checks that BlockOn does not spin: a
// future woken once is polled exactly twice, whether the wake arrives
// inside the first poll or later from another goroutine. A BlockOn that
// polled in a loop would poll many times while the other goroutine dawdles.
func TestBlockOnWokenOncePolledTwice(t *testing.T) {
	t.Run("wake inside poll", func(t *testing.T) {
		f := &onceWoken{arm: func(w future.Waker) { w.Wake() }}
		if n := BlockOn[int](f); n != 2 {
			t.Fatalf("polled %d times, want 2", n)
		}
	})
	t.Run("wake from another goroutine", func(t *testing.T) {
		f := &onceWoken{arm: func(w future.Waker) {
			go func() {
				for range 100 {
					runtime.Gosched()
				}
				w.Wake()
			}()
		}}
		if n := BlockOn[int](f); n != 2 {
			t.Fatalf("polled %d times, want 2", n)
		}
	})
}

// hookParker runs hook before its first Park, between BlockOn's poll and
// its park: exactly the moment a wake-up could be lost.
type hookParker struct {
	Parker
	hook func()
}

func (p *hookParker) Park() {
	if h := p.hook; h != nil {
		p.hook = nil
		h()
	}
	p.Parker.Park()
}

// TestBlockOnWakeBetweenPollAndPark places a wake from another goroutine
// exactly after the poll returned Pending and before Park. If the Parker
// forgot it, BlockOn would park forever, and synctest would report every
// goroutine in the bubble deadlocked.
func TestBlockOnWakeBetweenPollAndPark(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var waker future.Waker
		f := &onceWoken{arm: func(w future.Waker) { waker = w }}
		p := &hookParker{Parker: NewParker()}
		p.hook = func() {
			done := make(chan struct{})
			go func() { waker.Wake(); close(done) }()
			<-done
		}
		if n := BlockOnWith[int](p, f); n != 2 {
			t.Fatalf("polled %d times, want 2", n)
		}
	})
}

// racer is a future that becomes ready when another goroutine says so.
type racer struct {
	mu    sync.Mutex
	ready bool
	waker future.Waker
	polls int
}

func (r *racer) Poll(cx *future.Context) future.Poll[int] {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.polls++
	if r.ready {
		return future.Done(r.polls)
	}
	r.waker = cx.Waker()
	return future.Pending[int]()
}

func (r *racer) fire() {
	r.mu.Lock()
	r.ready = true
	w := r.waker
	r.mu.Unlock()
	if w != nil {
		w.Wake()
	}
}

// TestBlockOnLostWakeStress races a wake from another goroutine against
// BlockOn's poll-then-park, at random moments, many times. A lost wake hangs
// the test (go test's -timeout then prints every goroutine); a BlockOn that
// spins, or a Parker that hands out more than one token, shows up as a
// third poll.
func TestBlockOnLostWakeStress(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 10_000
		t.Logf("-short: running %d iterations instead of 100,000", n)
	}
	jobs := make(chan *racer)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
			for r := range jobs {
				for range rng.IntN(64) { // a random delay, in spins
					if rng.IntN(8) == 0 {
						runtime.Gosched()
					}
				}
				r.fire()
			}
		})
	}
	defer wg.Wait()
	defer close(jobs)
	for i := range n {
		r := &racer{}
		jobs <- r
		if polls := BlockOn[int](r); polls > 2 {
			t.Fatalf("iteration %d: future woken once was polled %d times", i, polls)
		}
	}
}

// spuriousParker returns from every other Park at once, with no Unpark.
type spuriousParker struct {
	Parker
	n int
}

func (p *spuriousParker) Park() {
	if p.n++; p.n%2 == 1 {
		return
	}
	p.Parker.Park()
}

// TestBlockOnSpuriousUnpark checks that extra Unparks, and Parks that return
// for no reason, cost polls but never a wrong answer: BlockOn returns only
// what the future returns with Done.
func TestBlockOnSpuriousUnpark(t *testing.T) {
	p := &spuriousParker{Parker: NewParker()}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { // a stream of Unparks that mean nothing
		for {
			select {
			case <-stop:
				return
			default:
				p.Unpark()
				runtime.Gosched()
			}
		}
	})
	r := &racer{}
	wg.Go(func() {
		for range 1000 {
			runtime.Gosched()
		}
		r.fire()
	})
	p.Unpark() // a token before BlockOn even starts
	polls := BlockOnWith[int](p, r)
	close(stop)
	wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.ready || polls != r.polls {
		t.Fatalf("BlockOn returned %d (ready=%v, %d polls): it must return only the Done value", polls, r.ready, r.polls)
	}
}
