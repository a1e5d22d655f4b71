package sched

// NewNoSteal is New with stealing turned off: idle workers take only from
// the global queue. The imbalanced-load benchmark compares the two.
func NewNoSteal(n int) (*Runtime, error) {
	return NewConfig(Config{Workers: n, NoSteal: true})
}

// Hooks are the points of the runtime a test can watch; see hooks.
type Hooks struct {
	JoinWaiter func() // JoinHandle.Poll has stored its waker
	ParkAbort  func() // park found work after counting itself idle
	HandOver   func() // the monitor hands the reactor on
}

// NewHooked is NewConfig with hooks that the runtime calls.
func NewHooked(c Config, h Hooks) (*Runtime, error) {
	var hk hooks
	hk[hookJoinWaiter] = h.JoinWaiter
	hk[hookParkAbort] = h.ParkAbort
	hk[hookHandOver] = h.HandOver
	return newRuntime(c, &hk)
}

// Closing reports whether Shutdown has begun.
func (rt *Runtime) Closing() bool { return rt.closing.Load() }
