//go:build linux || darwin || freebsd || netbsd || openbsd

package reactor

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// benchTimers is how many timers one op of BenchmarkTimers handles.
const benchTimers = 100_000

// BenchmarkTimers compares 100,000 timers in the reactor's heap with
// 100,000 time.AfterFunc timers, the stopgap of chapter 3, in two shapes:
//
//   - arm-cancel: start every timer, an hour ahead, then cancel them all.
//     This is the life of most timers in a server: a timeout that does
//     not fire.
//   - fire: start every timer 1ms ahead and wait until all have fired
//     and their wake-ups have run. The reactor fires them from its heap
//     inside Park; each AfterFunc timer starts a goroutine to run its
//     function.
//
// Besides ns/op it reports ns/timer and B/timer (heap bytes allocated per
// timer, what -benchmem reports per op divided by 100,000).
func BenchmarkTimers(b *testing.B) {
	b.Run("arm-cancel/reactor", func(b *testing.B) {
		r := newReactor(b)
		cx := future.NewContext(future.NoopWaker)
		sleeps := make([]future.Future[struct{}], benchTimers)
		perTimer(b, func() {
			for i := range sleeps {
				sleeps[i] = r.Sleep(time.Hour)
				sleeps[i].Poll(cx)
			}
			for _, s := range sleeps {
				future.Cancel(s)
			}
		})
	})
	b.Run("arm-cancel/AfterFunc", func(b *testing.B) {
		timers := make([]*time.Timer, benchTimers)
		perTimer(b, func() {
			for i := range timers {
				timers[i] = time.AfterFunc(time.Hour, func() {})
			}
			for _, t := range timers {
				t.Stop()
			}
		})
	})
	b.Run("fire/reactor", func(b *testing.B) {
		r := newReactor(b)
		perTimer(b, func() {
			fired := 0
			cx := future.NewContext(future.WakerFunc(func() { fired++ }))
			for range benchTimers {
				// A pause (a GC assist, say) of over 1ms between Sleep
				// and its Poll makes the sleep done at once, unwoken.
				if _, done := r.Sleep(time.Millisecond).Poll(cx).Value(); done {
					fired++
				}
			}
			for fired < benchTimers {
				r.Park()
			}
		})
	})
	b.Run("fire/AfterFunc", func(b *testing.B) {
		perTimer(b, func() {
			var wg sync.WaitGroup
			wg.Add(benchTimers)
			for range benchTimers {
				time.AfterFunc(time.Millisecond, wg.Done)
			}
			wg.Wait()
		})
	})
}

// perTimer runs op b.N times and reports ns/timer and B/timer.
func perTimer(b *testing.B, op func()) {
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		op()
	}
	runtime.ReadMemStats(&after)
	timers := float64(b.N) * benchTimers
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/timers, "ns/timer")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/timers, "B/timer")
}
