package future

// Selected is the value of a Select future: which child finished first, by
// its index in Select's arguments, and the value it finished with.
type Selected[T any] struct {
	Index int
	Value T
}

// ANCHOR: select

// ANCHOR: select-new

// Select returns a future that runs all of fs at once and is done as soon
// as one of them is, with that child's index and value. It then cancels
// every other child, in argument order, and never polls them again.
//
// Each Poll polls the children in argument order and stops at the first
// that returns Done, so when several could finish in the same Poll the
// lowest index wins and the rest are not polled. The same order means a
// child that is always ready starves the children after it; Rust's tokio
// picks a random starting index for that reason.
//
// Select panics if fs is empty: a future with no children could never be
// woken, so it would be pending forever, like Go's `select {}`. Cancelling
// Select cancels every child.
func Select[T any](fs ...Future[T]) Future[Selected[T]] {
	if len(fs) == 0 {
		panic("future: Select called with no futures; it could never finish")
	}
	return &selectFuture[T]{children: holdAll("Select", fs)}
}

type selectFuture[T any] struct {
	children []Future[T]
	stage    stage
}

// ANCHOR_END: select-new

// ANCHOR: select-poll

func (s *selectFuture[T]) Poll(cx *Context) Poll[Selected[T]] {
	s.stage.check()
	for i, f := range s.children {
		if v, ok := f.Poll(cx).Value(); ok {
			s.children[i] = nil // the winner is done; do not cancel it
			cancelAll(s.children)
			s.children, s.stage = nil, finished
			return Done(Selected[T]{Index: i, Value: v})
		}
	}
	return Pending[Selected[T]]() // every child arranged a wake-up
}

// Cancel cancels every child.
func (s *selectFuture[T]) Cancel() {
	if s.stage != running {
		return
	}
	cancelAll(s.children)
	s.children, s.stage = nil, cancelled
}

// ANCHOR_END: select-poll

// ANCHOR_END: select
