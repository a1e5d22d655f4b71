package reactor

import (
	"testing"
	"time"
)

// TestTimerArmAgainAfterStop stops an owned Timer whose entry stays in
// the heap (other timers keep the garbage under a quarter), and arms it
// again, later: the stale entry must leave (a timer has one entry at
// most), so that the Timer fires once, at its new deadline and not at
// the old one. Then it arms it again after it fired, the idle timeout's
// re-arming, which needs no search.
func TestTimerArmAgainAfterStop(t *testing.T) {
	r := testReactor()
	var others [8]Timer
	idle := new(wakeCount)
	for i := range others {
		others[i].Arm(r, 10*time.Hour, idle.cx())
	}
	var tm Timer
	w := new(wakeCount)
	tm.Arm(r, time.Hour, w.cx())
	tm.Stop(r)
	if n := r.heapLen(); n != 9 {
		t.Fatalf("after Stop: heap of %d, want 9 (the cancelled entry "+
			"stays)", n)
	}
	tm.Arm(r, 2*time.Hour, w.cx())
	if err := r.checkHeap(); err != nil {
		t.Fatal(err)
	}
	if n := r.heapLen(); n != 9 {
		t.Fatalf("heap of %d after arming again, want 9: the stale entry "+
			"must leave", n)
	}
	r.advance(90 * time.Minute) // past the old deadline only
	expireAndWake(r)
	if w.n != 0 || tm.Poll(r, w.cx()) {
		t.Fatal("the Timer fired at the deadline it had before Stop")
	}
	r.advance(time.Hour)
	expireAndWake(r)
	if w.n != 1 || !tm.Poll(r, w.cx()) {
		t.Fatalf("at its new deadline: %d wakes, want 1, and fired", w.n)
	}

	tm.Arm(r, time.Hour, w.cx()) // after it fired: no entry to drop
	r.advance(2 * time.Hour)
	expireAndWake(r)
	if w.n != 2 || !tm.Poll(r, w.cx()) {
		t.Fatalf("armed after firing: %d wakes, want 2", w.n)
	}
	for i := range others {
		others[i].Stop(r)
	}
	if n := r.heapLen(); n != 0 || idle.n != 0 {
		t.Fatalf("heap of %d and %d wakes after every Timer stopped, "+
			"want 0 and 0", n, idle.n)
	}
}

// expireAndWake is a turn's timer half: expire what is due, wake it.
func expireAndWake(r *Reactor) {
	for _, w := range r.timers.expire(time.Now(), nil) {
		w.Wake()
	}
}
