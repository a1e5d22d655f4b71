package sched_test

import (
	"fmt"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

// A root task spawns ten children from inside the runtime and joins them;
// a task spawned from outside runs beside it. After Shutdown, the
// runtime takes no more tasks.
func Example() {
	rt, err := sched.New(2)
	if err != nil {
		fmt.Println(err)
		return
	}
	var children future.Future[[]future.Result[int]]
	root := future.Func[int](func(cx *future.Context) future.Poll[int] {
		if children == nil {
			var hs []future.Future[future.Result[int]]
			for i := 1; i <= 10; i++ {
				hs = append(hs, sched.SpawnFrom(cx, future.Ready(i*i)))
			}
			children = future.Join(hs...)
		}
		rs, done := children.Poll(cx).Value()
		if !done {
			return future.Pending[int]()
		}
		sum := 0
		for _, r := range rs {
			sum += r.Value
		}
		return future.Done(sum)
	})
	outside := sched.Spawn(rt, future.Yield(3, "yielded 3 times"))
	fmt.Println(sched.BlockOn(rt, root))
	fmt.Println(sched.BlockOn[future.Result[string]](rt, outside))
	fmt.Println(rt.Shutdown())
	fmt.Println(sched.BlockOn(rt, future.Ready(1)))
	// Output:
	// 385 <nil>
	// {yielded 3 times <nil>} <nil>
	// <nil>
	// 0 sched: runtime shut down
}
