package sched

import "time"

// SetYieldEvery sets how long a busy worker keeps its P between yields
// (yieldEvery) and returns a function that restores it.
func SetYieldEvery(d time.Duration) (restore func()) {
	old := yieldEvery
	yieldEvery = d
	return func() { yieldEvery = old }
}
