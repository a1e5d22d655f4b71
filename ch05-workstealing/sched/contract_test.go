package sched_test

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

// The future contract of chapter 2, held against this runtime's
// JoinHandle and its scheduling.

// TestJoinHandleLatestWaker polls a JoinHandle with one waker and then
// another, from the test goroutine: when the task finishes, only the
// latest is woken (rule 2).
func TestJoinHandleLatestWaker(t *testing.T) {
	rt := newRT(t, 2)
	var p future.Promise[int]
	h := sched.Spawn[int](rt, &p)
	first, second := new(countWaker), new(countWaker)
	for _, w := range []*countWaker{first, second} {
		if h.Poll(future.NewContext(w)).IsDone() {
			t.Fatal("JoinHandle done before its promise was set")
		}
	}
	p.Set(7)
	waitFor(t, func() bool { return second.n.Load() > 0 }, "the latest waker was not woken")
	if n := first.n.Load(); n != 0 {
		t.Errorf("the earlier waker was woken %d times, want 0", n)
	}
	if v, err := h.Result(); v != 7 || err != nil {
		t.Errorf("Result() = %d, %v; want 7, nil", v, err)
	}
}

// TestJoinHandleLatestWakerTasks has a JoinHandle awaited by one task and
// then by another, on the runtime: the second finishes when the awaited
// task does, and the first, whose waker was replaced, is not polled again.
func TestJoinHandleLatestWakerTasks(t *testing.T) {
	rt := newRT(t, 2)
	var p future.Promise[int]
	h := sched.Spawn[int](rt, &p)
	awaiter := func() *counted[future.Result[int]] {
		return count(future.Future[future.Result[int]](h))
	}
	a, b := awaiter(), awaiter()
	ha := sched.Spawn[future.Result[int]](rt, a)
	waitFor(t, func() bool { return a.polls.Load() > 0 }, "the first awaiter was never polled")
	hb := sched.Spawn[future.Result[int]](rt, b)
	waitFor(t, func() bool { return b.polls.Load() > 0 }, "the second awaiter was never polled")
	p.Set(7)
	r, err := join(t, rt, hb, "the latest awaiter was not woken when the task finished")
	if err != nil || r.Value != 7 || r.Err != nil {
		t.Fatalf("second awaiter: %v, %v; want 7", r, err)
	}
	if n := a.polls.Load(); n != 1 {
		t.Errorf("the first awaiter was polled %d times, want 1: its waker was replaced", n)
	}
	ha.Abort()
	if _, err := join(t, rt, ha, "an aborted awaiter never finished"); !errors.Is(err, sched.ErrAborted) {
		t.Errorf("first awaiter: %v, want ErrAborted", err)
	}
}

// selfWakeDone wakes its own waker in every poll, the last one included,
// and is done after n polls: the wake that comes with Done must not earn
// it another poll.
type selfWakeDone struct{ n, i int }

func (s *selfWakeDone) Poll(cx *future.Context) future.Poll[int] {
	s.i++
	cx.Waker().Wake()
	if s.i >= s.n {
		return future.Done(s.i)
	}
	return future.Pending[int]()
}

// TestNoPollAfterDone runs tasks that wake themselves as they finish,
// while other goroutines keep waking them from outside, before and after
// they finish (rule 4: a waker may be woken after its task is done). No
// task is polled after it returned Done (rule 3).
func TestNoPollAfterDone(t *testing.T) {
	const tasks = 2000
	for _, workers := range []int{1, 2, 4} {
		rt := newRT(t, workers)
		fs := make([]*counted[int], tasks)
		hs := make([]*sched.JoinHandle[int], tasks)
		wakers := make([]atomic.Pointer[future.Waker], tasks)
		for i := range fs {
			i := i
			inner := &selfWakeDone{n: 1 + i%4}
			fs[i] = count(future.Future[int](future.Func[int](func(cx *future.Context) future.Poll[int] {
				w := cx.Waker()
				wakers[i].Store(&w)
				return inner.Poll(cx)
			})))
			hs[i] = sched.Spawn[int](rt, fs[i])
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					for i := range wakers {
						if w := wakers[i].Load(); w != nil {
							(*w).Wake()
						}
					}
				}
			})
		}
		for i, h := range hs {
			v, err := join(t, rt, h, "a self-waking task never finished")
			if err != nil || v != 1+i%4 {
				t.Fatalf("task %d: %d, %v; want %d", i, v, err, 1+i%4)
			}
		}
		// Keep waking the finished tasks a while: a late poll would show.
		for range 3 {
			for i := range wakers {
				(*wakers[i].Load()).Wake()
			}
		}
		close(stop)
		wg.Wait()
		if err := shutdown(t, rt); err != nil {
			t.Fatal(err)
		}
		for i, f := range fs {
			if n := f.late.Load(); n != 0 {
				t.Fatalf("%d workers: task %d polled %d times after Done", workers, i, n)
			}
			if n := f.polls.Load(); n != int32(1+i%4) {
				t.Fatalf("%d workers: task %d polled %d times, want %d", workers, i, n, 1+i%4)
			}
		}
	}
}

// TestJoinHandlePollAfterDone polls a finished JoinHandle past Done: that
// is a bug in the caller, and it panics saying so.
func TestJoinHandlePollAfterDone(t *testing.T) {
	rt := newRT(t, 1)
	h := sched.Spawn(rt, future.Ready(3))
	waitFor(t, func() bool { _, err := h.Result(); return !errors.Is(err, executor.ErrNotFinished) },
		"a Ready task never finished")
	cx := future.NewContext(future.NoopWaker)
	if r, ok := h.Poll(cx).Value(); !ok || r.Value != 3 {
		t.Fatalf("Poll = %v, %t; want Done(3)", r, ok)
	}
	defer func() {
		v := recover()
		if s, _ := v.(string); !strings.Contains(s, "after it was done") {
			t.Errorf("second Poll after Done: recovered %v, want a panic saying it was polled after done", v)
		}
	}()
	h.Poll(cx)
	t.Error("second Poll after Done returned")
}
