//go:build !race

package sched_test

// raceEnabled reports whether the test binary was built with -race, which
// makes every memory access several times slower: the stress tests use
// smaller counts then.
const raceEnabled = false
