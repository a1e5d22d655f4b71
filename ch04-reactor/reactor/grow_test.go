package reactor

import "testing"

// leftBehind grows a slice one element at a time to n elements with add
// and returns the capacity of every array it left behind, summed, and
// the final capacity.
func leftBehind(n int, add func(int) int) (behind, final int) {
	last := 0
	for i := range n {
		c := add(i)
		if c != last {
			behind += last
			last = c
		}
	}
	return behind, last
}

// TestArraysGrowByDoubling holds the reactor's two arrays that grow one
// entry per connection, the timer heap and the table of Registrations,
// to doubling: grown to 20,000 entries they leave old arrays of at most
// their final capacity to the collector, where append, which grows a
// large slice by a quarter, leaves about four times the final length
// (the test fails so with push or remember going back to append), and
// the final array is at most twice what is used.
func TestArraysGrowByDoubling(t *testing.T) {
	const n = 20000
	var h timerHeap
	tm := make([]timer, n)
	behind, final := leftBehind(n, func(i int) int {
		h.push(timerWhen{at: int64(i), seq: uint64(i), t: &tm[i]})
		return cap(h)
	})
	if behind > final || final > 2*n {
		t.Errorf("timer heap grown to %d: %d entries left behind, final "+
			"capacity %d; want at most the final capacity, and it at most %d",
			n, behind, final, 2*n)
	}

	r := new(Reactor)
	gs := make([]Registration, n)
	behind, final = leftBehind(n, func(fd int) int {
		if err := r.remember(&gs[fd], fd); err != nil {
			t.Fatal(err)
		}
		return cap(r.regs)
	})
	if behind > final || final > 2*n {
		t.Errorf("table grown to fd %d: %d entries left behind, final "+
			"capacity %d; want at most the final capacity, and it at most %d",
			n-1, behind, final, 2*n)
	}
	for fd := range n {
		if r.lookup(fd) != &gs[fd] {
			t.Fatalf("fd %d: not its Registration after growing", fd)
		}
	}
	// A jump past twice the capacity makes the table just long enough.
	if err := r.remember(new(Registration), 5*n); err != nil {
		t.Fatal(err)
	}
	if len(r.regs) != 5*n+1 || r.lookup(n-1) != &gs[n-1] {
		t.Errorf("after fd %d: length %d, want %d, with the entries kept",
			5*n, len(r.regs), 5*n+1)
	}
}
