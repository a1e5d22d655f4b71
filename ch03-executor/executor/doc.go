// Package executor runs futures from package future: BlockOn drives one
// future on the calling goroutine, and Executor runs many tasks on one
// goroutine. Neither ever spins: with nothing to poll, they park.
package executor
