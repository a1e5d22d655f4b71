package reactor_test

import (
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
)

// TestCloseWakesAllThoughOnePanics arms two sleeps, the first with a waker
// that panics: Close must still wake the second, and then pass the panic
// on.
func TestCloseWakesAllThoughOnePanics(t *testing.T) {
	r, err := reactor.New()
	if err != nil {
		t.Skip("no reactor on this system:", err)
	}
	woken := 0
	for i, wk := range []future.Waker{
		future.WakerFunc(func() { panic("broken waker") }),
		future.WakerFunc(func() { woken++ }),
	} {
		if p := r.Sleep(time.Hour).Poll(future.NewContext(wk)); p.IsDone() {
			t.Fatalf("sleep %d: done at once", i)
		}
	}
	var v any
	func() {
		defer func() { v = recover() }()
		r.Close()
	}()
	if v != "broken waker" {
		t.Errorf("Close panicked with %v, want the waker's panic", v)
	}
	if woken != 1 {
		t.Errorf("the second waker was woken %d times, want 1", woken)
	}
}
