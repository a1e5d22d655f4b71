package future_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// drive polls f by hand until it is done, printing every result. There is
// no executor yet, so it polls again at once; NoopWaker is enough.
func drive[T any](f future.Future[T]) {
	cx := future.NewContext(future.NoopWaker)
	for {
		p := f.Poll(cx)
		fmt.Println(p)
		if p.IsDone() {
			return
		}
	}
}

func ExampleReady() {
	drive(future.Ready("hello"))
	// Output:
	// Done(hello)
}

func ExampleYield() {
	drive(future.Yield(2, "done"))
	// Output:
	// Pending
	// Pending
	// Done(done)
}

func ExampleFunc() {
	polls := 0
	f := future.Func[int](func(cx *future.Context) future.Poll[int] {
		polls++
		if polls < 3 {
			cx.Waker().Wake() // rule 1: ask to be polled again
			return future.Pending[int]()
		}
		return future.Done(polls)
	})
	drive(f)
	// Output:
	// Pending
	// Pending
	// Done(3)
}

func ExampleMap() {
	drive(future.Map(future.Yield(1, "gopher"), strings.ToUpper))
	// Output:
	// Pending
	// Done(GOPHER)
}

func ExampleThen() {
	// Then is `n := first.await; second(n).await`: the second future is
	// made from the first one's value.
	f := future.Then(future.Yield(1, 6), func(n int) future.Future[int] {
		return future.Yield(1, n*7)
	})
	drive(f)
	// Output:
	// Pending
	// Pending
	// Done(42)
}

func ExampleJoin() {
	drive(future.Join(future.Yield(2, "a"), future.Ready("b"), future.Yield(1, "c")))
	// Output:
	// Pending
	// Pending
	// Done([a b c])
}

func ExampleTryJoin() {
	f := future.TryJoin(
		future.Yield(5, future.Ok(1)),
		future.Yield(1, future.Err[int](errors.New("disk full"))),
	)
	drive(f)
	// Output:
	// Pending
	// Done({[] disk full})
}

func ExampleSelect() {
	drive(future.Select(future.Yield(3, "slow"), future.Yield(1, "fast")))
	// Output:
	// Pending
	// Done({1 fast})
}

func ExamplePromise() {
	var p future.Promise[string]
	woken := make(chan struct{})
	cx := future.NewContext(future.WakerFunc(func() { close(woken) }))

	fmt.Println(p.Poll(cx)) // nothing yet: p keeps the waker
	go p.Set("from another goroutine")
	<-woken // Set called the waker: poll again
	fmt.Println(p.Poll(cx))
	// Output:
	// Pending
	// Done(from another goroutine)
}
