package executor_test

import (
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
)

// TestBlockingReceiveStarvesSender holds what chapter 3's "What goes
// wrong" says of a task that blocks in Poll waiting for another task on
// the same executor: the other task is never polled, so the wait never
// ends. A receives from a channel inside its Poll; B, spawned after it,
// would send. In a synctest bubble, Wait returns once every goroutine in
// it is durably blocked: Run's goroutine sits in A's receive and B has
// not been polled. The test then sends in B's place, and both finish.
func TestBlockingReceiveStarvesSender(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan int)
		var bPolled atomic.Bool
		ex := executor.New()
		a := executor.Spawn(ex, future.Func[int](func(*future.Context) future.Poll[int] {
			return future.Done(<-ch) // blocks the goroutine Run is on
		}))
		executor.Spawn(ex, future.Func[struct{}](func(*future.Context) future.Poll[struct{}] {
			bPolled.Store(true)
			ch <- 1 // never reached while A holds Run
			return future.Done(struct{}{})
		}))
		done := make(chan struct{})
		go func() {
			ex.Run()
			close(done)
		}()
		synctest.Wait()
		if bPolled.Load() {
			t.Fatal("B was polled while A blocked Run's goroutine")
		}
		ch <- 7 // free A; B then blocks on its own send, so take that too
		<-ch
		<-done
		if v, err := a.Result(); v != 7 || err != nil {
			t.Errorf("A = (%v, %v), want (7, nil)", v, err)
		}
	})
}
