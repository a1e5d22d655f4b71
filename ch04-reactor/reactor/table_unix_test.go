//go:build linux || darwin || freebsd || netbsd || openbsd

package reactor

import (
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestTableByDescriptor holds the table of Registrations to its rules:
// a descriptor's Registration sits at its number, the table grows to a
// high number and shrinks back to one past the highest number still
// registered (so that Watching sees an empty reactor as empty), a number
// registered twice is refused, and a number registered again gets a new
// tag, so that an event fetched for the old file never reaches the new
// Registration while one with the new tag does.
func TestTableByDescriptor(t *testing.T) {
	r := newReactor(t)
	rd, wr := nonblockingPipe(t)
	defer unix.Close(wr)
	const high = 900 // above every descriptor the test process has open
	if err := unix.Dup2(rd, high); err != nil {
		t.Skipf("dup2 to %d: %v", high, err)
	}
	unix.Close(rd)
	defer unix.Close(high)

	low, _, _ := registeredPipe(t, r)
	g, err := r.Register(high)
	if err != nil {
		t.Fatal(err)
	}
	r.regsMu.Lock()
	n, at := len(r.regs), r.lookup(high)
	r.regsMu.Unlock()
	if n != high+1 || at != g {
		t.Fatalf("after Register(%d): table length %d, entry %p; want %d, %p",
			high, n, at, high+1, g)
	}
	if _, err := r.Register(high); err == nil {
		t.Fatal("a second Register of the same descriptor was accepted")
	}

	if err := g.Deregister(); err != nil {
		t.Fatal(err)
	}
	r.regsMu.Lock()
	n = len(r.regs)
	r.regsMu.Unlock()
	if n != low.fd+1 {
		t.Fatalf("after Deregister(%d): table length %d, want %d (one past "+
			"fd %d, the highest still registered)", high, n, low.fd+1, low.fd)
	}

	// The number comes back: the old tag's events are not the new file's.
	old := g.gen
	g2, err := r.Register(high)
	if err != nil {
		t.Fatal(err)
	}
	defer g2.Deregister()
	if g2.gen == old {
		t.Fatalf("fd %d registered again with the same tag %d", high, old)
	}
	w := new(counter)
	mustPending(t, g2.Readable(), w.cx())
	r.parkMu.Lock()
	stale := r.dispatch([]event{{fd: high, gen: old, read: true}}, nil, nil)
	fresh := r.dispatch([]event{{fd: high, gen: g2.gen, read: true}}, nil, nil)
	none := r.dispatch([]event{{fd: high + 1000, gen: 1, read: true}}, nil, nil)
	r.parkMu.Unlock()
	if len(stale) != 0 || len(none) != 0 || len(fresh) != 1 {
		t.Fatalf("wakers: %d for an event with the old tag (want 0), %d for "+
			"the new tag (want 1), %d for a number past the table (want 0)",
			len(stale), len(fresh), len(none))
	}

	if err := low.Deregister(); err != nil {
		t.Fatal(err)
	}
	if err := g2.Deregister(); err != nil {
		t.Fatal(err)
	}
	if r.Watching() {
		t.Fatal("Watching with every descriptor deregistered")
	}
}

// BenchmarkDescriptorIndex reports what finding a Registration by its
// descriptor costs in memory, per registered descriptor, for 10,000
// descriptors numbered from 3 as the kernel hands them out: in a Go map
// from numbers to Registrations (the live heap the map holds), and in
// the reactor's table indexed by number (its array: a pointer for each
// number up to the highest, and the room append left for more). The
// Registrations themselves are not counted.
//
//	go test -run '^$' -bench DescriptorIndex ./ch04-reactor/reactor
func BenchmarkDescriptorIndex(b *testing.B) {
	const n = 10000
	g := new(Registration)
	b.Run("map", func(b *testing.B) {
		var per float64
		for b.Loop() {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			m := make(map[int]*Registration)
			for fd := 3; fd < 3+n; fd++ {
				m[fd] = g
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			runtime.KeepAlive(m)
			per = float64(after.HeapAlloc-before.HeapAlloc) / n
		}
		b.ReportMetric(per, "B/fd")
	})
	b.Run("table", func(b *testing.B) {
		var per float64
		for b.Loop() {
			r := &Reactor{}
			for fd := 3; fd < 3+n; fd++ {
				if err := r.remember(g, fd); err != nil {
					b.Fatal(err)
				}
			}
			per = float64(cap(r.regs)) * float64(unsafe.Sizeof(g)) / n
		}
		b.ReportMetric(per, "B/fd")
	})
}
