//go:build linux || darwin || freebsd || netbsd || openbsd

package reactor

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// nonblockingPipe returns a non-blocking pipe that the test closes itself:
// these tests move descriptors about with dup2.
func nonblockingPipe(t *testing.T) (rd, wr int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	for _, fd := range p {
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
	}
	return p[0], p[1]
}

// reuse deregisters old, makes its number refer to the open file of fd
// (dup2, which closes what the number referred to), closes fd, and
// registers the number again: the new descriptor a program gets when it
// closes one and opens another, which the kernel gives the lowest free
// number.
func reuse(t *testing.T, r *Reactor, old *Registration, fd int) *Registration {
	t.Helper()
	if err := old.Deregister(); err != nil {
		t.Fatal(err)
	}
	if err := unix.Dup2(fd, old.fd); err != nil {
		t.Fatal(err)
	}
	if err := unix.Close(fd); err != nil {
		t.Fatal(err)
	}
	g, err := r.Register(old.fd)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestStaleEventAfterFDReuse holds the race between a turn and a
// descriptor number's reuse: the turn has fetched an event for a
// descriptor, and before it dispatches the event, another goroutine
// deregisters and closes that descriptor, opens a new one that gets the
// same number, and registers it. The event belongs to the old file; the
// new Registration must not see it. The afterWait hook stands in for the
// other goroutine, at the one moment the race needs.
//
// Two news would be false: that the peer has closed its end (ReadClosed,
// which never turns false again), and that a descriptor can be written
// (a socket whose connect has not finished would be taken as connected).
func TestStaleEventAfterFDReuse(t *testing.T) {
	t.Run("eof", func(t *testing.T) {
		r := newReactor(t)
		rd1, wr1 := nonblockingPipe(t)
		old, err := r.Register(rd1)
		if err != nil {
			t.Fatal(err)
		}
		writeAll(t, wr1, "x")
		unix.Close(wr1) // the hang-up: readable, and closed for good
		rd2, wr2 := nonblockingPipe(t)
		defer unix.Close(wr2)
		var g *Registration
		r.afterWait = func() {
			r.afterWait = nil
			g = reuse(t, r, old, rd2)
		}
		r.TryPark() // fetches the old pipe's hang-up, then the hook runs
		defer unix.Close(old.fd)
		defer g.Deregister()
		if g.ReadClosed() {
			t.Error("the new pipe says ReadClosed: the old pipe's hang-up reached it")
		}
		cx := new(counter).cx()
		f := g.Readable()
		if f.Poll(cx).IsDone() {
			t.Fatal("the new, empty pipe is readable: the old pipe's edge reached it")
		}
		writeAll(t, wr2, "y")
		parkWatched(t, r, "Park after a write to the new pipe")
		mustDone(t, f, cx)
		if got := drain(t, old.fd); got != "y" {
			t.Fatalf("read %q from the new pipe, want %q", got, "y")
		}
	})
	t.Run("writable", func(t *testing.T) {
		r := newReactor(t)
		rd1, wr1 := nonblockingPipe(t)
		defer unix.Close(rd1)
		old, err := r.Register(wr1) // an empty pipe: writable at once
		if err != nil {
			t.Fatal(err)
		}
		rd2, wr2 := nonblockingPipe(t)
		defer unix.Close(rd2)
		fill(t, wr2) // a full pipe: not writable
		var g *Registration
		r.afterWait = func() {
			r.afterWait = nil
			g = reuse(t, r, old, wr2)
		}
		r.TryPark() // fetches the old pipe's writable edge
		defer unix.Close(old.fd)
		defer g.Deregister()
		cx := new(counter).cx()
		f := g.Writable()
		if f.Poll(cx).IsDone() {
			t.Fatal("the new, full pipe is writable: the old pipe's edge reached it")
		}
		drain(t, rd2)
		parkWatched(t, r, "Park after the new pipe was drained")
		mustDone(t, f, cx)
	})
}

// TestTurnSpendsUnparkThatCameDuringIt holds Turn's rule for its caller:
// an Unpark that comes while a blocking turn is under way, even after its
// wait has returned, is answered by the turn's return, and the next
// blocking turn sleeps. (So a worker must look at its queues again after
// Turn before it takes another turn: what that Unpark announced is there.)
// If the turn kept the token, the next blocking turn would not wait in the
// kernel at all, and a worker would go round without sleeping.
func TestTurnSpendsUnparkThatCameDuringIt(t *testing.T) {
	r := newReactor(t)
	var waits int
	r.OnWait(func(Wait) { waits++ })
	cx := new(counter).cx()

	mustPending(t, r.Sleep(1), cx) // due at once: the wait does not sleep
	r.afterWait = func() {
		r.afterWait = nil
		r.Unpark() // another worker queued a task just now
	}
	if got := r.Turn(true, nil); len(got) != 1 {
		t.Fatalf("Turn handed back %d wakers, want 1 (the sleep's)", len(got))
	}
	waits = 0
	mustPending(t, r.Sleep(time.Millisecond), cx)
	r.Turn(true, nil)
	if waits != 1 {
		t.Fatalf("the next blocking Turn made %d waits, want 1: "+
			"the Unpark that came during the first was still pending", waits)
	}
}

// TestReadClosedAfterPeerShutdown checks that a socket's peer shutting
// down its writing side, with bytes before it in the same edge, makes
// ReadClosed true: the kernel says so only if asked (EPOLLRDHUP on
// Linux; kqueue's EV_EOF comes unasked), since a half-closed socket is
// not hung up. Without it, a reader whose read came back short would
// wait for an edge that has already come.
func TestReadClosedAfterPeerShutdown(t *testing.T) {
	r := newReactor(t)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := fds[0], fds[1]
	defer unix.Close(a)
	defer unix.Close(b)
	if err := unix.SetNonblock(a, true); err != nil {
		t.Fatal(err)
	}
	reg, err := r.Register(a)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Deregister()
	writeAll(t, b, "x")
	if err := unix.Shutdown(b, unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	parkWatched(t, r, "Park after the peer wrote and shut down")
	if !reg.ReadClosed() {
		t.Fatal("ReadClosed = false after the peer shut down its writing side")
	}
	mustDone(t, reg.Readable(), new(counter).cx())
	if got := drain(t, a); got != "x" {
		t.Fatalf("read %q, want %q", got, "x")
	}
}
