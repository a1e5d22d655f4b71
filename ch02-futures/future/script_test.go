package future

import (
	"sync/atomic"
	"testing"
)

// script is a test future that follows a script: it returns Pending a set
// number of times, then Done with a value. It keeps rule 1 the simplest
// way, by waking the waker it was polled with before each Pending, and it
// records everything a test may want to check: how often it was polled and
// cancelled, and the Context of every poll. It reports a test error if it
// is polled after it returned Done or after Cancel, so a combinator that
// breaks rule 3 fails every test that uses one.
type script[T any] struct {
	t        *testing.T
	name     string
	pending  int  // Pending results still to give; <0 means forever
	value    T    // the value to be done with
	done     bool // returned Done
	polls    int
	cancels  int
	contexts []*Context // the Context of every poll, in order
}

// after returns a script that is pending n times, then done with v.
func after[T any](t *testing.T, name string, n int, v T) *script[T] {
	return &script[T]{t: t, name: name, pending: n, value: v}
}

// never returns a script that is pending forever.
func never[T any](t *testing.T, name string) *script[T] {
	return &script[T]{t: t, name: name, pending: -1}
}

func (s *script[T]) Poll(cx *Context) Poll[T] {
	s.t.Helper()
	if s.done {
		s.t.Errorf("%s: polled after it returned Done", s.name)
	}
	if s.cancels > 0 {
		s.t.Errorf("%s: polled after it was cancelled", s.name)
	}
	s.polls++
	s.contexts = append(s.contexts, cx)
	if s.pending != 0 {
		if s.pending > 0 {
			s.pending--
		}
		cx.Waker().Wake() // rule 1: ready to go again at once
		return Pending[T]()
	}
	s.done = true
	return Done(s.value)
}

func (s *script[T]) Cancel() { s.cancels++ }

// lastContext returns the Context of the latest poll, or nil.
func (s *script[T]) lastContext() *Context {
	if len(s.contexts) == 0 {
		return nil
	}
	return s.contexts[len(s.contexts)-1]
}

// counter is a Waker that counts its wake-ups. Unlike a WakerFunc it is
// comparable, so a test can tell which waker a future used.
type counter struct{ n atomic.Int64 }

func (c *counter) Wake() { c.n.Add(1) }

// noop is a Context for tests that do not look at wake-ups.
func noop() *Context { return NewContext(NoopWaker) }

// wantCounts checks a script's poll and cancel counts.
func wantCounts[T any](t *testing.T, s *script[T], polls, cancels int) {
	t.Helper()
	if s.polls != polls {
		t.Errorf("%s: polled %d times, want %d", s.name, s.polls, polls)
	}
	if s.cancels != cancels {
		t.Errorf("%s: cancelled %d times, want %d", s.name, s.cancels, cancels)
	}
}

// mustPanic calls f and checks that it panics with the message want.
func mustPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		got := recover()
		if got == nil {
			t.Fatalf("did not panic; want panic %q", want)
		}
		if got != want {
			t.Fatalf("panicked with %q; want %q", got, want)
		}
	}()
	f()
}

// pollPending polls f n times with cx and checks that each poll is Pending.
func pollPending[T any](t *testing.T, f Future[T], cx *Context, n int) {
	t.Helper()
	for i := range n {
		if p := f.Poll(cx); p.IsDone() {
			t.Fatalf("poll %d: got %v, want Pending", i+1, p)
		}
	}
}

// pollDone polls f once with cx and returns its value, failing the test if
// it is still pending.
func pollDone[T any](t *testing.T, f Future[T], cx *Context) T {
	t.Helper()
	v, ok := f.Poll(cx).Value()
	if !ok {
		t.Fatalf("got Pending, want Done")
	}
	return v
}
