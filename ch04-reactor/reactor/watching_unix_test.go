//go:build linux || darwin || freebsd || netbsd || openbsd

package reactor

import (
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// TestWatching follows Watching through what makes the reactor watch
// something and what ends it: a registration until Deregister, a timer
// from its first poll until it fires or is cancelled, and nothing at all
// once the Reactor is closed.
func TestWatching(t *testing.T) {
	r := newReactor(t)
	want := func(what string, w bool) {
		t.Helper()
		if got := r.Watching(); got != w {
			t.Fatalf("%s: Watching() = %v, want %v", what, got, w)
		}
	}
	want("a new Reactor", false)

	reg, _, _ := registeredPipe(t, r)
	want("a descriptor registered", true)
	if err := reg.Deregister(); err != nil {
		t.Fatal(err)
	}
	want("the descriptor deregistered", false)

	var c counter
	sl := r.Sleep(time.Hour)
	want("a Sleep not polled yet", false)
	mustPending(t, sl, c.cx())
	want("a Sleep polled", true)
	future.Cancel(sl)
	want("the Sleep cancelled", false)

	short := r.Sleep(time.Millisecond)
	mustPending(t, short, c.cx())
	for c.count() == 0 {
		parkWatched(t, r, "a Park to fire a 1ms timer")
	}
	want("the timer fired", false)

	registeredPipe(t, r)
	mustPending(t, r.Sleep(time.Hour), c.cx())
	want("a descriptor and a timer", true)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	want("the Reactor closed", false)
}
