package executor_test

import (
	"fmt"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
)

func ExampleBlockOn() {
	f := future.Map(future.Ready(20), func(n int) int { return n + 22 })
	fmt.Println(executor.BlockOn(f))
	// Output: 42
}

// A task awaits another through its JoinHandle; a third task panics without
// disturbing them.
func ExampleSpawn() {
	ex := executor.New()
	answer := executor.Spawn(ex, future.Ready(42))
	doubled := executor.Spawn(ex, future.Map[future.Result[int]](answer, func(r future.Result[int]) int {
		return 2 * r.Value
	}))
	broken := executor.Spawn(ex, future.Func[int](func(*future.Context) future.Poll[int] {
		panic("out of cheese")
	}))
	ex.Run()

	fmt.Println(doubled.Result())
	fmt.Println(broken.Result())
	// Output:
	// 84 <nil>
	// 0 task panicked: out of cheese
}
