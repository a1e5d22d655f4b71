//go:build linux || darwin || freebsd || netbsd || openbsd

package sched_test

import (
	"sync/atomic"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"golang.org/x/sys/unix"
)

// TestFairnessIO waits for a pipe to become readable beside a spinner.
// The kernel has the pipe's event ready as soon as write returns; on one
// worker the next reactor turn, at most sched.EventInterval polls later,
// hands it over, and the reader runs a poll or two after that.
func TestFairnessIO(t *testing.T) {
	for _, workers := range []int{1, 2} {
		rt := newRT(t, workers)
		s := startSpinner(t, rt)
		rd, wr := pipe(t)
		reg, err := rt.Reactor().Register(rd)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { reg.Deregister() })
		var base int64
		readable := reg.Readable()
		polled := make(chan struct{})
		h := sched.Spawn(rt, future.Func[int64](func(cx *future.Context) future.Poll[int64] {
			select {
			case <-polled:
			default:
				close(polled)
			}
			if p := readable.Poll(cx); !p.IsDone() {
				return future.Pending[int64]()
			}
			n := s.polls.Load()
			var buf [8]byte
			if _, err := unix.Read(rd, buf[:]); err != nil {
				return future.Done[int64](-1)
			}
			return future.Done(n)
		}))
		await(t, polled, nil, "the reader never ran")
		if _, err := unix.Write(wr, []byte{1}); err != nil {
			t.Fatal(err)
		}
		base = s.polls.Load()
		seen := finished(t, h, "a reader of a written pipe never finished beside a spinner")
		if seen < 0 {
			t.Fatal("the reader found its pipe readable, but read failed")
		}
		bound(t, workers, "a readable pipe's reader finished", seen-base, sched.EventInterval+3)
	}
}

// TestIOQueuesBehindGlobal checks that a task made ready by a busy
// worker's reactor turn does not jump the line: tasks already waiting on
// the global queue run first. One worker is kept busy by a spinner (its
// ring is never empty, so the global queue gives it one task every 61
// polls); 100 tasks are spawned from outside onto the global queue; then a
// pipe that a reader task waits on is written to. The reader must run
// after all 100. Before this rule, the turn put the reader on the busy
// ring, where it ran within 61 polls, ahead of nearly all of them, and an
// echo server with a thousand connections served some of them a hundred
// times less often than others.
func TestIOQueuesBehindGlobal(t *testing.T) {
	rt := newRT(t, 1)
	rd, wr := pipe(t)
	reg, err := rt.Reactor().Register(rd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Deregister() })
	var ran atomic.Int64 // how many of the spawned tasks have run
	readable := reg.Readable()
	polled := make(chan struct{})
	reader := sched.Spawn(rt, future.Func[int64](func(cx *future.Context) future.Poll[int64] {
		select {
		case <-polled:
		default:
			close(polled)
		}
		if !readable.Poll(cx).IsDone() {
			return future.Pending[int64]()
		}
		return future.Done(ran.Load())
	}))
	await(t, polled, nil, "the reader never ran")
	startSpinner(t, rt)
	const queued = 100
	for range queued {
		sched.Spawn(rt, future.Func[struct{}](func(*future.Context) future.Poll[struct{}] {
			ran.Add(1)
			return future.Done(struct{}{})
		}))
	}
	if _, err := unix.Write(wr, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if before := finished(t, reader, "the reader of a written pipe never finished"); before != queued {
		t.Fatalf("the reader ran after %d of the %d tasks queued before its pipe was written, want all", before, queued)
	}
}
