// Package schedtest holds what the tests and benchmarks of chapter 5's
// runtime, and the tests of its exercise answers, share: starting a
// runtime that is shut down, under a watchdog, when the test ends. Like
// net/http's httptest, it is for tests only.
package schedtest

import (
	"errors"
	"runtime"
	"testing"

	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

// New starts a runtime of n workers with mk (sched.New, or a variant
// such as a runtime that does not steal) and shuts it down when the test
// ends. Under reactortest.SuiteInNetpoller (reactortest.InNetpoller),
// the runtime's reactor sleeps in Go's netpoller
// (reactor.Reactor.UseNetpoller). A system without a reactor skips the
// test, saying so. A test that
// has failed is not shut down: a watchdog may have given up on a task
// still blocked in its poll, and Shutdown would wait for it for ever.
func New(t testing.TB, n int, mk func(int) (*sched.Runtime, error)) *sched.Runtime {
	t.Helper()
	rt, err := mk(n)
	if errors.Is(err, reactor.ErrUnsupported) {
		t.Skipf("no reactor on %s: %v", runtime.GOOS, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if reactortest.InNetpoller() {
		if err := rt.Reactor().UseNetpoller(); err != nil {
			rt.Shutdown()
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		if err := Shutdown(t, rt); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return rt
}

// Shutdown calls rt.Shutdown on another goroutine and returns its error,
// failing the test if it does not return within reactortest.StallLimit.
// It must be called from the test's goroutine.
func Shutdown(t testing.TB, rt *sched.Runtime) error {
	t.Helper()
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		err = rt.Shutdown()
	}()
	reactortest.Await(t, done, nil, "Shutdown did not return")
	return err
}
