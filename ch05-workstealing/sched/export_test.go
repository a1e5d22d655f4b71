package sched

// NewNoSteal is New with stealing turned off: idle workers take only from
// the global queue. The imbalanced-load benchmark compares the two.
func NewNoSteal(n int) (*Runtime, error) {
	return NewConfig(Config{Workers: n, NoSteal: true})
}

// Hooks are the points of the runtime a test can watch; see hooks.
type Hooks struct {
	JoinWaiter func()
	ParkAbort  func()
	Spin       func(ns, busy int32)
	HandOver   func()
}

// NewHooked is NewConfig with hooks that the runtime calls.
func NewHooked(c Config, h Hooks) (*Runtime, error) {
	return newRuntime(c, &hooks{
		joinWaiter: h.JoinWaiter,
		parkAbort:  h.ParkAbort,
		spin:       h.Spin,
		handOver:   h.HandOver,
	})
}

// Closing reports whether Shutdown has begun.
func (rt *Runtime) Closing() bool { return rt.closing.Load() }
