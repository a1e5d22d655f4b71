package sched_test

import (
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

func TestSmokeSpawnMany(t *testing.T) {
	rt, err := sched.New(2)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Shutdown()
	const n = 100000
	var got int
	root := future.Func[int](func(cx *future.Context) future.Poll[int] {
		return future.Done(0)
	})
	_ = root
	hs := make([]*sched.JoinHandle[int], n)
	for i := range hs {
		hs[i] = sched.Spawn(rt, future.Yield(1, i))
	}
	for i, h := range hs {
		v, err := sched.BlockOn[future.Result[int]](rt, h)
		if err != nil || v.Err != nil || v.Value != i {
			t.Fatalf("task %d: %v %v", i, v, err)
		}
		got++
	}
	t.Log(rt.Stats())
}
