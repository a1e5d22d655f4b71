package sched

// NewNoSteal is New with stealing turned off: idle workers take only from
// the global queue. The imbalanced-load benchmark compares the two.
func NewNoSteal(n int) (*Runtime, error) { return newRuntime(n, false) }
