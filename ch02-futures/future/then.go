package future

// ANCHOR: then

// ANCHOR: then-new

// Then returns a future that runs f and then the future that next makes from
// f's value, and is done with that second future's value. It is the
// explicit form of what Rust writes as `let v = f.await; next(v).await`:
// a state machine with one state per await point.
//
// next is called once, inside the Poll in which f finishes, and the future
// it returns is polled at once in that same Poll. Cancelling Then cancels
// whichever of the two futures it is waiting on.
func Then[T, U any](f Future[T], next func(T) Future[U]) Future[U] {
	if f == nil || next == nil {
		panic("future: Then called with a nil future or function")
	}
	return &then[T, U]{state: thenFirst, first: f, next: next}
}

// thenState is the state of a Then future.
type thenState uint8

const (
	thenFirst     thenState = iota // waiting on first
	thenSecond                     // waiting on second
	thenDone                       // returned Done
	thenCancelled                  // Cancel was called before Done
)

// then holds only what its current state needs: first and next until first
// finishes, second after. Fields a state no longer needs are set to nil so
// the garbage collector can reclaim them while the machine runs on.
type then[T, U any] struct {
	state  thenState
	first  Future[T]
	next   func(T) Future[U]
	second Future[U]
}

// ANCHOR_END: then-new

// ANCHOR: then-poll

func (t *then[T, U]) Poll(cx *Context) Poll[U] {
	for {
		switch t.state {
		case thenFirst:
			v, ok := t.first.Poll(cx).Value()
			if !ok {
				return Pending[U]()
			}
			t.second = t.next(v)
			if t.second == nil {
				panic("future: Then's next returned a nil future")
			}
			t.first, t.next = nil, nil
			t.state = thenSecond
			// Go round again and poll second now. Returning Pending
			// here instead would break rule 1: nobody has arranged
			// to wake this task, so it would never be polled again.
		case thenSecond:
			v, ok := t.second.Poll(cx).Value()
			if !ok {
				return Pending[U]()
			}
			t.second = nil
			t.state = thenDone
			return Done(v)
		case thenDone:
			panic(pollAfterDone)
		case thenCancelled:
			panic(pollAfterCancel)
		}
	}
}

// ANCHOR_END: then-poll

// ANCHOR: then-cancel

// Cancel cancels the future Then is waiting on, if any.
func (t *then[T, U]) Cancel() {
	switch t.state {
	case thenFirst:
		Cancel(t.first)
	case thenSecond:
		Cancel(t.second)
	default:
		return // done or already cancelled: nothing is held
	}
	t.first, t.next, t.second = nil, nil, nil
	t.state = thenCancelled
}

// ANCHOR_END: then-cancel

// ANCHOR_END: then
