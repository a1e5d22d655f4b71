package naive

import (
	"strings"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// ANCHOR: naive-flaw

// TestWokenTwice shows the flaw. Task a joins two futures that each wake
// the task once before returning Pending, so a is queued twice. Its first
// turn finishes it; its second polls a future that is already done, which
// panics. A stale entry like that is also a task polled while it is being
// polled, once wakers run on other goroutines.
func TestWokenTwice(t *testing.T) {
	ex := New()
	a := future.Join(future.Yield(1, 0), future.Yield(1, 0))
	ex.Spawn(future.Map(a, func([]int) struct{} { return struct{}{} }))
	ex.Spawn(future.Yield(3, struct{}{})) // keeps Run going meanwhile

	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "Poll called after the future was done") {
			t.Fatalf("Run ended with %q; want the poll-after-done panic", msg)
		}
		t.Logf("the naive executor broke rule 3: %s", msg)
	}()
	ex.Run()
}

// ANCHOR_END: naive-flaw

// TestRunsOnce checks that the naive executor does run tasks that are
// woken exactly once per Pending: the flaw needs a second wake.
func TestRunsOnce(t *testing.T) {
	ex := New()
	polls := 0
	ex.Spawn(future.Func[struct{}](func(cx *future.Context) future.Poll[struct{}] {
		polls++
		if polls < 3 {
			cx.Waker().Wake()
			return future.Pending[struct{}]()
		}
		return future.Done(struct{}{})
	}))
	ex.Run()
	if polls != 3 {
		t.Fatalf("polled %d times, want 3", polls)
	}
}
