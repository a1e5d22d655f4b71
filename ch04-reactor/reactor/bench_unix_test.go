//go:build linux || darwin || freebsd || netbsd || openbsd

package reactor

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
)

// benchTimers is how many timers one op of BenchmarkTimers handles.
const benchTimers = 100_000

// BenchmarkTimers compares 100,000 timers in the reactor's heap with
// 100,000 time.AfterFunc timers, the stopgap of chapter 3, in two shapes:
//
//   - arm-cancel: start every timer, an hour ahead, then cancel them all,
//     in the order they were armed (arm), the reverse (reverse), or a
//     shuffled one (random). This is the life of most timers in a server:
//     a timeout that does not fire. Cancelling in arm order would be the
//     worst case for a heap that removed a timer at once (each is near
//     the top); the reactor's Cancel only marks, and sweeps later.
//   - fire: spawn one task per timer on chapter 3's executor, each
//     awaiting a 1ms sleep, and Run until all are done. On the reactor
//     side the executor parks on the reactor, which fires the timers from
//     its heap inside Park; on the other, the executor parks on a channel
//     and each executor.Sleep is an AfterFunc timer that starts a goroutine
//     to wake its task. Both sides pay for the same tasks and polls.
//
// Besides ns/op it reports ns/timer and B/timer (heap bytes allocated per
// timer, what -benchmem reports per op divided by 100,000).
func BenchmarkTimers(b *testing.B) {
	orders := []struct {
		name  string
		order func(n int) []int
	}{
		{"arm", func(n int) []int { return seq(n) }},
		{"reverse", func(n int) []int { o := seq(n); slices.Reverse(o); return o }},
		{"random", func(n int) []int { return rand.New(rand.NewPCG(1, 2)).Perm(n) }},
	}
	for _, o := range orders {
		order := o.order(benchTimers)
		b.Run("arm-cancel/"+o.name+"/reactor", func(b *testing.B) {
			r := newReactor(b)
			cx := future.NewContext(future.NoopWaker)
			sleeps := make([]future.Future[struct{}], benchTimers)
			perTimer(b, func() {
				for i := range sleeps {
					sleeps[i] = r.Sleep(time.Hour)
					sleeps[i].Poll(cx)
				}
				for _, i := range order {
					future.Cancel(sleeps[i])
				}
			})
		})
		b.Run("arm-cancel/"+o.name+"/AfterFunc", func(b *testing.B) {
			timers := make([]*time.Timer, benchTimers)
			perTimer(b, func() {
				for i := range timers {
					timers[i] = time.AfterFunc(time.Hour, func() {})
				}
				for _, i := range order {
					timers[i].Stop()
				}
			})
		})
	}
	b.Run("fire/reactor", func(b *testing.B) {
		r := newReactor(b)
		perTimer(b, func() {
			ex := executor.NewWith(r)
			for range benchTimers {
				executor.Spawn(ex, r.Sleep(time.Millisecond))
			}
			ex.Run()
		})
	})
	b.Run("fire/AfterFunc", func(b *testing.B) {
		perTimer(b, func() {
			ex := executor.New()
			for range benchTimers {
				executor.Spawn(ex, executor.Sleep(time.Millisecond))
			}
			ex.Run()
		})
	})
}

// seq returns 0, 1, ..., n-1.
func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
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
