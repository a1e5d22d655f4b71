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

// BenchmarkSpawnRun starts a million trivial tasks and waits for them all:
// on the executor (Spawn, then Run), and as goroutines (go f() and a
// sync.WaitGroup). Besides ns/op it reports ns/task.
func BenchmarkSpawnRun(b *testing.B) {
	b.Run("executor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ex := executor.New()
			for range spawnRunTasks {
				executor.Spawn[int](ex, readyNow{})
			}
			ex.Run()
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
