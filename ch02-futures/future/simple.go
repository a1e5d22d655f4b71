package future

// This file holds the smallest futures: Func, which adapts a function, Ready,
// which is done at once, and Map, which transforms another future's value.
// It also holds the bookkeeping every combinator shares: the stage it is in,
// and how it releases the children it still holds.

// ANCHOR: func

// Func adapts an ordinary function to the Future interface: each call to
// Poll calls the function once. The function must keep the package's rules
// itself; in particular, before it returns Pending it must arrange for
// cx.Waker() to be woken.
type Func[T any] func(cx *Context) Poll[T]

// Poll calls f(cx).
func (f Func[T]) Poll(cx *Context) Poll[T] { return f(cx) }

// ANCHOR_END: func

// ANCHOR: stage

// stage is where a combinator is in its life. Every combinator checks it at
// the top of Poll, so that polling a finished or cancelled combinator panics
// with a message that names the bug instead of polling children it has
// already let go of.
type stage uint8

const (
	running   stage = iota // may be polled
	finished               // returned Done; Poll panics with pollAfterDone
	cancelled              // Cancel was called first; Poll then panics
)

// check panics unless s is running. Combinators call it first thing in Poll.
func (s stage) check() {
	switch s {
	case finished:
		panic(pollAfterDone)
	case cancelled:
		panic(pollAfterCancel)
	}
}

// cancelAll cancels every child in fs that is still held (not nil) and lets
// go of it, so that each child is cancelled at most once however often the
// caller cancels. Children that finished were set to nil when they did, so
// they are never cancelled.
func cancelAll[T any](fs []Future[T]) {
	for i, f := range fs {
		if f != nil {
			Cancel(f)
			fs[i] = nil
		}
	}
}

// ANCHOR_END: stage

// holdAll copies fs, panicking if any of them is nil. Combinators copy their
// children so that setting a finished child to nil never writes into the
// caller's slice.
func holdAll[T any](name string, fs []Future[T]) []Future[T] {
	held := make([]Future[T], len(fs))
	for i, f := range fs {
		if f == nil {
			panic("future: " + name + " called with a nil future")
		}
		held[i] = f
	}
	return held
}

// ANCHOR: ready

// Ready returns a future that is done with v on its first poll. It holds
// nothing that needs releasing, so it is not a Canceler.
func Ready[T any](v T) Future[T] {
	return &ready[T]{value: v}
}

type ready[T any] struct {
	value T
	done  bool
}

func (r *ready[T]) Poll(*Context) Poll[T] {
	if r.done {
		panic(pollAfterDone)
	}
	r.done = true
	return Done(r.value)
}

// ANCHOR_END: ready

// Yield returns a future that returns Pending n times and is then done
// with v. Before each Pending it wakes its own waker, so it keeps rule 1
// and its task is polled again at once, but only after the executor has
// given every other ready task a turn: a long task yields the same way
// (tokio's yield_now, Go's runtime.Gosched). A negative n counts as zero.
// It is also the simplest future that needs more than one poll, which
// makes it useful in tests and examples.
func Yield[T any](n int, v T) Future[T] {
	return &yielder[T]{left: max(n, 0), value: v}
}

type yielder[T any] struct {
	left  int
	value T
	done  bool
}

func (y *yielder[T]) Poll(cx *Context) Poll[T] {
	if y.done {
		panic(pollAfterDone)
	}
	if y.left > 0 {
		y.left--
		cx.Waker().Wake()
		return Pending[T]()
	}
	y.done = true
	return Done(y.value)
}

// ANCHOR: map

// Map returns a future that polls f and, once f is done with v, is done
// with fn(v). It returns Pending exactly when f does, and calls fn once.
// Cancelling it before it is done cancels f.
func Map[T, U any](f Future[T], fn func(T) U) Future[U] {
	if f == nil || fn == nil {
		panic("future: Map called with a nil future or function")
	}
	return &mapped[T, U]{child: f, fn: fn}
}

type mapped[T, U any] struct {
	child Future[T] // nil once done or cancelled
	fn    func(T) U
	stage stage
}

func (m *mapped[T, U]) Poll(cx *Context) Poll[U] {
	m.stage.check()
	v, ok := m.child.Poll(cx).Value()
	if !ok {
		return Pending[U]() // the child arranged the wake-up (rule 1)
	}
	fn := m.fn
	m.child, m.fn, m.stage = nil, nil, finished
	return Done(fn(v))
}

// Cancel cancels the child if Map still holds it.
func (m *mapped[T, U]) Cancel() {
	if m.stage != running {
		return
	}
	Cancel(m.child)
	m.child, m.fn, m.stage = nil, nil, cancelled
}

// ANCHOR_END: map
