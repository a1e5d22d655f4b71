package executor_test

import (
	"sync"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
)

// readyNow is done on every poll; unlike future.Ready it can be polled
// again, so one value serves every iteration.
type readyNow struct{}

func (readyNow) Poll(*future.Context) future.Poll[int] { return future.Done(1) }

// BenchmarkBlockOnReady measures BlockOn's fixed cost: a parker, a
// context and one poll.
func BenchmarkBlockOnReady(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		executor.BlockOn[int](readyNow{})
	}
}

// spawnRunTasks is how many tasks one op of BenchmarkSpawnRun starts.
const spawnRunTasks = 1_000_000

// BenchmarkSpawnRun starts a million trivial tasks and waits for them all,
// on the executor and as goroutines, in the same shape on both sides: the
// tasks run as they are spawned. The benchmark's goroutine spawns; the
// executor's Run is already running on a goroutine of its own and polls
// each task as soon as it is queued, just as the Go scheduler runs each
// goroutine as soon as a P is free. Run with -cpu 1,2: with one P, the
// spawner and the runner (Run, or the new goroutines) take turns on it;
// with two, they run in parallel, and the goroutines may use both Ps while
// the executor polls on one. Besides ns/op it reports ns/task.
func BenchmarkSpawnRun(b *testing.B) {
	b.Run("executor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ex := executor.New()
			var all future.Promise[int] // keeps Run running until every task is spawned
			executor.Spawn[int](ex, &all)
			done := make(chan struct{})
			go func() {
				ex.Run()
				close(done)
			}()
			for range spawnRunTasks {
				executor.Spawn[int](ex, readyNow{})
			}
			all.Set(0)
			<-done
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*spawnRunTasks), "ns/task")
	})
	b.Run("goroutines", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var wg sync.WaitGroup
			for range spawnRunTasks {
				wg.Go(func() {})
			}
			wg.Wait()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*spawnRunTasks), "ns/task")
	})
}
