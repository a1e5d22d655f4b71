package compare_test

import (
	"testing"

	"github.com/asyncbook/asyncbook/ch05-workstealing/internal/compare"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

// TestWorkloadsFinish runs every workload at a small size, on one and on
// two workers: each must return, which means every task it started
// counted itself done (the countdown or WaitGroup reached zero).
func TestWorkloadsFinish(t *testing.T) {
	for _, workers := range []int{1, 2} {
		rt, err := sched.New(workers)
		if err != nil {
			t.Skip("no runtime on this system:", err)
		}
		for _, n := range []int{1, 255, 256, 257, 5000} {
			if err := compare.Spawn(rt, n); err != nil {
				t.Errorf("%d workers: Spawn(%d): %v", workers, n, err)
			}
		}
		if err := compare.Churn(rt, 40); err != nil {
			t.Errorf("%d workers: Churn: %v", workers, err)
		}
		if err := rt.Shutdown(); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	}
	compare.Goroutines(1000)
	cp, mp := compare.NewChanPool(), compare.NewMutexPool()
	cp.Run(1000)
	mp.Run(1000)
	cp.Close()
	mp.Close()
}
