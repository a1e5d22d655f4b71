package future

import (
	"errors"
	"slices"
	"strconv"
	"testing"
)

// Every combinator is a Canceler.
var (
	_ Canceler = Map(Ready(1), strconv.Itoa).(Canceler)
	_ Canceler = Then(Ready(1), func(int) Future[int] { return Ready(2) }).(Canceler)
	_ Canceler = Join[int]().(Canceler)
	_ Canceler = TryJoin[int]().(Canceler)
	_ Canceler = Select(Ready(1)).(Canceler)
)

func TestPoll(t *testing.T) {
	var zero Poll[int]
	if zero.IsDone() || zero.String() != "Pending" {
		t.Errorf("zero Poll = %v, want Pending", zero)
	}
	if v, ok := Done(7).Value(); !ok || v != 7 || Done(7).String() != "Done(7)" {
		t.Errorf("Done(7).Value() = %v, %v; want 7, true", v, ok)
	}
	if v, ok := Pending[int]().Value(); ok || v != 0 {
		t.Errorf("Pending().Value() = %v, %v; want 0, false", v, ok)
	}
}

func TestResult(t *testing.T) {
	if v, err := Ok(3).Get(); v != 3 || err != nil {
		t.Errorf("Ok(3).Get() = %v, %v", v, err)
	}
	boom := errors.New("boom")
	if _, err := Err[int](boom).Get(); err != boom {
		t.Errorf("Err(boom).Get() error = %v", err)
	}
}

func TestCancelCallsCancelerOnly(t *testing.T) {
	s := after(t, "s", 0, 1)
	Cancel(s)
	Cancel(Ready(1)) // not a Canceler: nothing happens
	wantCounts(t, s, 0, 1)
}

func TestFuncPassesContext(t *testing.T) {
	var seen *Context
	f := Func[int](func(cx *Context) Poll[int] { seen = cx; return Done(5) })
	cx := noop()
	if v := pollDone(t, f, cx); v != 5 || seen != cx {
		t.Errorf("Func: value %d, context %p; want 5, %p", v, seen, cx)
	}
}

func TestReady(t *testing.T) {
	f := Ready("x")
	if v := pollDone(t, f, noop()); v != "x" {
		t.Errorf("Ready: got %q, want x", v)
	}
	mustPanic(t, pollAfterDone, func() { f.Poll(noop()) })
}

func TestYield(t *testing.T) {
	for _, n := range []int{-1, 0, 1, 3} {
		wakes := 0
		cx := NewContext(WakerFunc(func() { wakes++ }))
		f := Yield(n, "v")
		for i := range max(n, 0) {
			if p := f.Poll(cx); p.IsDone() {
				t.Fatalf("Yield(%d): poll %d returned %v, want Pending", n, i+1, p)
			}
			if wakes != i+1 {
				t.Fatalf("Yield(%d): %d wakes after Pending number %d, want %d", n, wakes, i+1, i+1)
			}
		}
		if v := pollDone(t, f, cx); v != "v" {
			t.Errorf("Yield(%d) = %q, want v", n, v)
		}
		if want := max(n, 0); wakes != want {
			t.Errorf("Yield(%d) woke %d times, want %d", n, wakes, want)
		}
		mustPanic(t, pollAfterDone, func() { f.Poll(cx) })
	}
}

func TestMap(t *testing.T) {
	child := after(t, "child", 2, 20)
	calls := 0
	f := Map(child, func(n int) string { calls++; return strconv.Itoa(n + 1) })
	pollPending(t, f, noop(), 2)
	if calls != 0 {
		t.Errorf("fn called %d times while the child was pending", calls)
	}
	if v := pollDone(t, f, noop()); v != "21" {
		t.Errorf("Map: got %q, want 21", v)
	}
	if calls != 1 {
		t.Errorf("fn called %d times, want 1", calls)
	}
	Cancel(f) // after Done: harmless, and must not reach the child
	wantCounts(t, child, 3, 0)
	mustPanic(t, pollAfterDone, func() { f.Poll(noop()) })
}

func TestMapCancel(t *testing.T) {
	child := never[int](t, "child")
	f := Map(child, strconv.Itoa)
	pollPending(t, f, noop(), 1)
	Cancel(f)
	Cancel(f) // twice: the child still sees one Cancel
	wantCounts(t, child, 1, 1)
	mustPanic(t, pollAfterCancel, func() { f.Poll(noop()) })
}

func TestThen(t *testing.T) {
	first := after(t, "first", 1, 4)
	var second *script[string]
	var got []int
	f := Then(first, func(n int) Future[string] {
		got = append(got, n)
		second = after(t, "second", 1, strconv.Itoa(n*10))
		return second
	})
	// Poll 1: first is pending.
	pollPending(t, f, noop(), 1)
	if second != nil {
		t.Fatal("next called before first was done")
	}
	// Poll 2: first is done; second is made and polled in the same Poll.
	pollPending(t, f, noop(), 1)
	if second == nil || second.polls != 1 {
		t.Fatal("second was not polled in the Poll in which first finished")
	}
	// Poll 3: second is done.
	if v := pollDone(t, f, noop()); v != "40" {
		t.Errorf("Then: got %q, want 40", v)
	}
	if !slices.Equal(got, []int{4}) {
		t.Errorf("next called with %v, want [4]", got)
	}
	wantCounts(t, first, 2, 0)
	wantCounts(t, second, 2, 0)
	mustPanic(t, pollAfterDone, func() { f.Poll(noop()) })
}

// TestThenNoLostWakeup is the test that a Then which returned Pending after
// its first future finished, without polling the second, would fail: both
// are ready, so nothing would ever wake the task again.
func TestThenNoLostWakeup(t *testing.T) {
	f := Then(Ready(1), func(n int) Future[int] { return Ready(n + 1) })
	if v := pollDone(t, f, noop()); v != 2 {
		t.Errorf("Then(Ready(1), +1) = %d, want 2", v)
	}
}

func TestThenCancel(t *testing.T) {
	t.Run("first", func(t *testing.T) {
		first := never[int](t, "first")
		called := false
		f := Then(first, func(int) Future[int] { called = true; return Ready(0) })
		pollPending(t, f, noop(), 2)
		Cancel(f)
		Cancel(f)
		wantCounts(t, first, 2, 1)
		if called {
			t.Error("next called although first never finished")
		}
		mustPanic(t, pollAfterCancel, func() { f.Poll(noop()) })
	})
	t.Run("second", func(t *testing.T) {
		first := after(t, "first", 0, 1)
		second := never[int](t, "second")
		f := Then(first, func(int) Future[int] { return second })
		pollPending(t, f, noop(), 2)
		Cancel(f)
		Cancel(f)
		wantCounts(t, first, 1, 0) // done, so not cancelled
		wantCounts(t, second, 2, 1)
	})
}

func TestJoin(t *testing.T) {
	a := after(t, "a", 0, "a")
	b := after(t, "b", 2, "b")
	c := after(t, "c", 1, "c")
	args := []Future[string]{a, b, c}
	f := Join(args...)
	pollPending(t, f, noop(), 2)
	if v := pollDone(t, f, noop()); !slices.Equal(v, []string{"a", "b", "c"}) {
		t.Errorf("Join = %q, want [a b c] in argument order", v)
	}
	// a finished on poll 1 and c on poll 2; neither was polled again.
	wantCounts(t, a, 1, 0)
	wantCounts(t, b, 3, 0)
	wantCounts(t, c, 2, 0)
	if args[0] != a || args[2] != c {
		t.Error("Join wrote into the caller's slice")
	}
	Cancel(f) // after Done: reaches nobody
	wantCounts(t, b, 3, 0)
	mustPanic(t, pollAfterDone, func() { f.Poll(noop()) })
}

func TestJoinEmpty(t *testing.T) {
	f := Join[int]()
	v := pollDone(t, f, noop())
	if v == nil || len(v) != 0 {
		t.Errorf("Join() = %#v, want an empty non-nil slice", v)
	}
	mustPanic(t, pollAfterDone, func() { f.Poll(noop()) })
}

func TestJoinCancel(t *testing.T) {
	a := after(t, "a", 0, 1)
	b := never[int](t, "b")
	c := never[int](t, "c")
	f := Join[int](a, b, c)
	pollPending(t, f, noop(), 2)
	Cancel(f)
	Cancel(f)
	wantCounts(t, a, 1, 0) // finished: not cancelled
	wantCounts(t, b, 2, 1)
	wantCounts(t, c, 2, 1)
	mustPanic(t, pollAfterCancel, func() { f.Poll(noop()) })
}

func TestTryJoinOk(t *testing.T) {
	a := after(t, "a", 1, Ok(1))
	b := after(t, "b", 0, Ok(2))
	f := TryJoin[int](a, b)
	pollPending(t, f, noop(), 1)
	v, err := pollDone(t, f, noop()).Get()
	if err != nil || !slices.Equal(v, []int{1, 2}) {
		t.Errorf("TryJoin = %v, %v; want [1 2], nil", v, err)
	}
	wantCounts(t, a, 2, 0)
	wantCounts(t, b, 1, 0)
	mustPanic(t, pollAfterDone, func() { f.Poll(noop()) })
}

func TestTryJoinEmpty(t *testing.T) {
	v, err := pollDone(t, TryJoin[int](), noop()).Get()
	if err != nil || v == nil || len(v) != 0 {
		t.Errorf("TryJoin() = %#v, %v; want an empty non-nil slice", v, err)
	}
}

// TestTryJoinFirstErrorInCompletionOrder: a fails on its 3rd poll, c on its
// 2nd. c has the later index but fails first, so its error wins; a and b,
// still pending, are cancelled and never polled again.
func TestTryJoinFirstErrorInCompletionOrder(t *testing.T) {
	errA, errC := errors.New("a failed"), errors.New("c failed")
	a := after(t, "a", 2, Err[int](errA))
	b := never[Result[int]](t, "b")
	c := after(t, "c", 1, Err[int](errC))
	d := after(t, "d", 0, Ok(4))
	f := TryJoin[int](a, b, c, d)
	pollPending(t, f, noop(), 1)
	if _, err := pollDone(t, f, noop()).Get(); err != errC {
		t.Errorf("TryJoin error = %v, want %v", err, errC)
	}
	wantCounts(t, a, 2, 1)
	wantCounts(t, b, 2, 1)
	wantCounts(t, c, 2, 0) // done, with the error: not cancelled
	wantCounts(t, d, 1, 0) // done on poll 1: not polled again, not cancelled
	Cancel(f)
	wantCounts(t, a, 2, 1)
	mustPanic(t, pollAfterDone, func() { f.Poll(noop()) })
}

// TestTryJoinSamePollLowerIndexWins: when two children fail in the same
// Poll, the one polled first (the lower index) wins and the other is
// cancelled without being polled in that round.
func TestTryJoinSamePollLowerIndexWins(t *testing.T) {
	errA, errB := errors.New("a failed"), errors.New("b failed")
	a := after(t, "a", 1, Err[int](errA))
	b := after(t, "b", 1, Err[int](errB))
	f := TryJoin[int](a, b)
	pollPending(t, f, noop(), 1)
	if _, err := pollDone(t, f, noop()).Get(); err != errA {
		t.Errorf("TryJoin error = %v, want %v", err, errA)
	}
	wantCounts(t, a, 2, 0)
	wantCounts(t, b, 1, 1)
}

func TestTryJoinCancel(t *testing.T) {
	a := after(t, "a", 0, Ok(1))
	b := never[Result[int]](t, "b")
	f := TryJoin[int](a, b)
	pollPending(t, f, noop(), 1)
	Cancel(f)
	Cancel(f)
	wantCounts(t, a, 1, 0)
	wantCounts(t, b, 1, 1)
	mustPanic(t, pollAfterCancel, func() { f.Poll(noop()) })
}

func TestSelect(t *testing.T) {
	a := never[string](t, "a")
	b := after(t, "b", 2, "b")
	c := after(t, "c", 2, "c") // would also finish on poll 3, but b is first
	f := Select[string](a, b, c)
	pollPending(t, f, noop(), 2)
	if v := pollDone(t, f, noop()); v != (Selected[string]{Index: 1, Value: "b"}) {
		t.Errorf("Select = %+v, want {Index:1 Value:b}", v)
	}
	wantCounts(t, a, 3, 1)
	wantCounts(t, b, 3, 0)
	wantCounts(t, c, 2, 1) // not polled in the round b won
	Cancel(f)
	wantCounts(t, a, 3, 1)
	mustPanic(t, pollAfterDone, func() { f.Poll(noop()) })
}

func TestSelectTieGoesToLowestIndex(t *testing.T) {
	a := after(t, "a", 0, 1)
	b := after(t, "b", 0, 2)
	f := Select[int](a, b)
	if v := pollDone(t, f, noop()); v.Index != 0 || v.Value != 1 {
		t.Errorf("Select = %+v, want {Index:0 Value:1}", v)
	}
	wantCounts(t, a, 1, 0)
	wantCounts(t, b, 0, 1)
}

func TestSelectEmptyPanics(t *testing.T) {
	mustPanic(t, "future: Select called with no futures; it could never finish", func() { Select[int]() })
}

func TestSelectCancel(t *testing.T) {
	a := never[int](t, "a")
	b := never[int](t, "b")
	f := Select[int](a, b)
	pollPending(t, f, noop(), 1)
	Cancel(f)
	Cancel(f)
	wantCounts(t, a, 1, 1)
	wantCounts(t, b, 1, 1)
	mustPanic(t, pollAfterCancel, func() { f.Poll(noop()) })
}

func TestNilArgumentsPanic(t *testing.T) {
	mustPanic(t, "future: Map called with a nil future or function", func() { Map(nil, strconv.Itoa) })
	mustPanic(t, "future: Then called with a nil future or function", func() { Then[int, int](Ready(1), nil) })
	mustPanic(t, "future: Join called with a nil future", func() { Join(Ready(1), nil) })
	mustPanic(t, "future: TryJoin called with a nil future", func() { TryJoin[int](nil) })
	mustPanic(t, "future: Select called with a nil future", func() { Select[int](nil) })
	f := Then(Ready(1), func(int) Future[int] { return nil })
	mustPanic(t, "future: Then's next returned a nil future", func() { f.Poll(noop()) })
}

// TestLatestWaker checks rule 2 for every combinator: each passes the
// Context it is polled with straight down, so a child that is polled first
// with cx1 and then with cx2 sees cx2, and wakes cx2's waker, not cx1's.
func TestLatestWaker(t *testing.T) {
	type built struct {
		f     Future[int]
		child *script[int]
	}
	cases := map[string]func(*testing.T) built{
		"Map": func(t *testing.T) built {
			c := after(t, "child", 2, 1)
			return built{Map(c, func(n int) int { return n }), c}
		},
		"Then/first": func(t *testing.T) built {
			c := after(t, "child", 2, 1)
			return built{Then(c, Ready[int]), c}
		},
		"Then/second": func(t *testing.T) built {
			c := after(t, "child", 2, 1)
			return built{Then(Ready(0), func(int) Future[int] { return c }), c}
		},
		"Join": func(t *testing.T) built {
			c := after(t, "child", 2, 1)
			return built{Map(Join[int](Ready(0), c), func(v []int) int { return v[1] }), c}
		},
		"TryJoin": func(t *testing.T) built {
			c := after(t, "child", 2, 1)
			tj := TryJoin(Ready(Ok(0)), Map[int](c, Ok[int]))
			return built{Map(tj, func(r Result[[]int]) int { return r.Value[1] }), c}
		},
		"Select": func(t *testing.T) built {
			c := after(t, "child", 2, 1)
			return built{Map(Select[int](c), func(s Selected[int]) int { return s.Value }), c}
		},
	}
	for name, build := range cases {
		t.Run(name, func(t *testing.T) {
			b := build(t)
			w1, w2 := new(counter), new(counter)
			cx1, cx2 := NewContext(w1), NewContext(w2)
			if b.f.Poll(cx1).IsDone() {
				t.Fatal("done on poll 1")
			}
			if b.child.lastContext() != cx1 || w1.n.Load() != 1 {
				t.Fatalf("poll 1: child saw %p and woke w1 %d times; want %p, once", b.child.lastContext(), w1.n.Load(), cx1)
			}
			if b.f.Poll(cx2).IsDone() {
				t.Fatal("done on poll 2")
			}
			if b.child.lastContext() != cx2 || w2.n.Load() != 1 || w1.n.Load() != 1 {
				t.Fatalf("poll 2: child saw %p, w1 woken %d, w2 woken %d; want %p, 1, 1",
					b.child.lastContext(), w1.n.Load(), w2.n.Load(), cx2)
			}
			if v := pollDone(t, b.f, cx2); v != 1 {
				t.Errorf("got %d, want 1", v)
			}
		})
	}
}

func TestPromise(t *testing.T) {
	var p Promise[string]
	var first, second counter
	if got := p.Poll(NewContext(&first)); got.IsDone() {
		t.Fatalf("unset Promise polled %v, want Pending", got)
	}
	p.Poll(NewContext(&second)) // the latest waker replaces the first
	if !p.Set("v") {
		t.Fatal("first Set returned false")
	}
	if first.n.Load() != 0 || second.n.Load() != 1 {
		t.Fatalf("Set woke the first poll's waker %d times and the latest %d; want 0 and 1", first.n.Load(), second.n.Load())
	}
	if p.Set("other") {
		t.Fatal("second Set returned true")
	}
	if second.n.Load() != 1 {
		t.Fatalf("second Set woke again: %d wakes", second.n.Load())
	}
	if v, ok := p.Poll(NewContext(&second)).Value(); !ok || v != "v" {
		t.Fatalf("Poll after Set = %q, %v; want the first value, done", v, ok)
	}
	mustPanic(t, pollAfterDone, func() { p.Poll(NewContext(&second)) })

	var early Promise[int]
	early.Set(7) // before any poll: nobody to wake, and nothing lost
	if v, ok := early.Poll(noop()).Value(); !ok || v != 7 {
		t.Fatalf("Poll after an early Set = %d, %v; want 7, done", v, ok)
	}
}
