package sched

// Limits of the runtime that the tests state their bounds in.
const (
	// EventInterval is how many polls a busy worker makes between looks
	// at the global queue and the reactor.
	EventInterval = eventInterval

	// MaxLIFORun is how many times in a row a worker runs its LIFO slot.
	MaxLIFORun = maxLIFORun

	// BlockingThreads bounds SpawnBlocking's pool.
	BlockingThreads = defaultBlockingThreads
)
