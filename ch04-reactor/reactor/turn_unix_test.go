//go:build linux || darwin || freebsd || netbsd || openbsd

package reactor

import (
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// TestNonBlockingTurnDoesNotWaitForBlockingOne starts a blocking Turn
// that nothing will end but the test's Unpark, and meanwhile takes many
// turns that must not block. They may not wait for the blocking turn to
// end: a worker peeking at the reactor every 61 polls would otherwise
// sleep, with its tasks, until the next event, and with no event coming,
// for ever (the runtime of chapter 5 deadlocked that way).
func TestNonBlockingTurnDoesNotWaitForBlockingOne(t *testing.T) {
	r := newReactor(t)
	parked := make(chan struct{})
	go func() {
		defer close(parked)
		r.Turn(true, nil)
	}()
	done := make(chan struct{})
	var turns int64
	go func() {
		defer close(done)
		var wakers []future.Waker
		for range 10_000 {
			wakers = r.Turn(false, wakers[:0])
			turns++
		}
	}()
	await(t, done, nil, "Turn(false) waited for a blocking Turn to end")
	r.Unpark()
	await(t, parked, nil, "Unpark did not end the blocking Turn")
	t.Logf("%d turns that do not block beside one that does", turns)
}
