// Package reactortest holds what the tests of chapter 4's reactor and of
// the runtimes built on it share: a watchdog that turns a hang into a
// clear failure, leak checks, (on Unix) a non-blocking pipe, and a second
// run of a package's tests with its reactors asleep in Go's netpoller.
// Like net/http's httptest, it is for tests only.
package reactortest

import (
	"sync"
	"testing"
	"time"
)

// StallLimit is how long Await lets a test make no progress before it
// fails it. It is long, because a loaded machine may stall a goroutine
// for a while, and a test must never fail because the machine is busy;
// a real hang waits forever, so any limit catches it.
const StallLimit = 10 * time.Second

// Await waits until done is closed. If progress (nil: none) stands still
// for StallLimit meanwhile, it fails the test with what it was waiting
// for; the goroutine that should have closed done is left behind. It
// must be called from the test's goroutine.
func Await(t testing.TB, done <-chan struct{}, progress func() int64, what string) {
	t.Helper()
	if progress == nil {
		progress = func() int64 { return 0 }
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last, since := progress(), time.Now()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		if p := progress(); p != last {
			last, since = p, time.Now()
		} else if time.Since(since) > StallLimit {
			t.Fatalf("no progress for %v: %s", StallLimit, what)
		}
	}
}

// Parallel runs f(0) to f(n-1), each on a goroutine of its own, and waits
// for them all with Await's watchdog (progress and what are Await's). It
// reports every error they return with t.Error. It must be called from
// the test's goroutine.
func Parallel(t testing.TB, n int, progress func() int64, what string, f func(i int) error) {
	t.Helper()
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs <- f(i) })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	Await(t, done, progress, what)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
