//go:build linux || darwin || freebsd || netbsd || openbsd

package reactor

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

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

// TestReadClosed checks that a Registration remembers that the writer
// has gone, from the edge that carried the news, and only from then:
// bytes alone do not set it, the writer's close does (on a pipe, the
// hang-up; on a socket, the peer's FIN), it stays set after Readable has
// consumed that edge, and the read then finds end of file. Package tcp
// relies on it to wait after a short read without losing a FIN that came
// with the bytes.
func TestReadClosed(t *testing.T) {
	r := newReactor(t)
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	rd, wr := p[0], p[1]
	t.Cleanup(func() { unix.Close(rd) })
	if err := unix.SetNonblock(rd, true); err != nil {
		t.Fatal(err)
	}
	reg, err := r.Register(rd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Deregister() })
	cx := new(counter).cx()

	writeAll(t, wr, "x")
	parkWatched(t, r, "Park after a write")
	if reg.ReadClosed() {
		t.Fatal("ReadClosed after a write alone")
	}
	mustDone(t, reg.Readable(), cx)
	if got := drain(t, rd); got != "x" {
		t.Fatalf("read %q, want %q", got, "x")
	}

	writeAll(t, wr, "y")
	if err := unix.Close(wr); err != nil { // the only close of wr
		t.Fatal(err)
	}
	parkWatched(t, r, "Park after the bytes and the close")
	if !reg.ReadClosed() {
		t.Fatal("ReadClosed is false after the writer closed")
	}
	mustDone(t, reg.Readable(), cx) // consumes the edge
	if !reg.ReadClosed() {
		t.Fatal("ReadClosed did not stay true after Readable consumed the edge")
	}
	buf := make([]byte, 8)
	if n, err := unix.Read(rd, buf); n != 1 || err != nil {
		t.Fatalf("read = %d, %v; want the 1 byte left", n, err)
	}
	if n, err := unix.Read(rd, buf); n != 0 || err != nil {
		t.Fatalf("read = %d, %v; want end of file", n, err)
	}
}

// writeAll writes s to fd, which must take it at once.
func writeAll(t *testing.T, fd int, s string) {
	t.Helper()
	if n, err := unix.Write(fd, []byte(s)); n != len(s) || err != nil {
		t.Fatalf("write = %d, %v", n, err)
	}
}

// TestPollReadable checks the future-less wait: Pending until the pipe is
// written to, and then woken; Done once the edge is there; a Readable
// future while it waits panics (one waiter per direction); and after
// Deregister it is done with ErrClosed.
func TestPollReadable(t *testing.T) {
	r := newReactor(t)
	reg, rd, wr := registeredPipe(t, r)
	woken := new(counter)
	cx := woken.cx()

	drain(t, rd)
	if reg.PollReadable(cx).IsDone() {
		t.Fatal("PollReadable done on an empty pipe whose edge was consumed")
	}
	panicsWith(t, "a second Readable future polled while another is pending", func() { reg.Readable().Poll(new(counter).cx()) })
	writeAll(t, wr, "x")
	parkWatched(t, r, "Park after a write")
	if woken.count() != 1 {
		t.Fatalf("woken %d times, want 1", woken.count())
	}
	if err, ok := reg.PollReadable(cx).Value(); !ok || err != nil {
		t.Fatalf("PollReadable after the edge = %v, %v; want done with nil", err, ok)
	}
	drain(t, rd)
	mustPending(t, reg.Readable(), new(counter).cx()) // the direction is free again
	panicsWith(t, "PollReadable while a Readable future is pending", func() { reg.PollReadable(cx) })
	reg.Deregister()
	if err, ok := reg.PollReadable(cx).Value(); !ok || err != ErrClosed {
		t.Fatalf("PollReadable after Deregister = %v, %v; want ErrClosed", err, ok)
	}
}

// panicsWith fails the test unless fn panics with a message containing
// want (the messages name a descriptor number, which varies).
func panicsWith(t *testing.T, want string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		if got := fmt.Sprint(recover()); !strings.Contains(got, want) {
			t.Errorf("panic = %q, want one containing %q", got, want)
		}
	}()
	fn()
}

// TestTurnsAllocateNothing checks that a turn allocates nothing: one
// that does not wait and finds nothing (a busy worker takes one every
// 61 polls), and one that may wait and finds an event, asleep in the
// kernel or in Go's netpoller. A closure that captured the wait's
// results once cost every wait two allocations there.
func TestTurnsAllocateNothing(t *testing.T) {
	for _, nested := range []bool{false, true} {
		r := newReactor(t)
		if nested {
			if err := r.UseNetpoller(); err != nil {
				t.Fatal(err)
			}
		}
		_, rd, wr := registeredPipe(t, r)
		var wakers []future.Waker
		peek := testing.AllocsPerRun(100, func() {
			wakers = r.Turn(false, wakers[:0])
		})
		var buf [1]byte
		block := testing.AllocsPerRun(100, func() {
			if _, err := unix.Write(wr, buf[:]); err != nil {
				panic(err)
			}
			wakers = r.Turn(true, wakers[:0])
			if _, err := unix.Read(rd, buf[:]); err != nil {
				panic(err)
			}
		})
		if peek != 0 || block != 0 {
			t.Errorf("UseNetpoller %v: a turn that does not wait allocates %v times, one that finds an event %v times; want 0",
				nested, peek, block)
		}
	}
}
