package future

// ANCHOR: join

// ANCHOR: join-new

// Join returns a future that runs all of fs at once and is done when every
// one of them is, with their values in argument order. Join with no
// futures is done on its first poll, with an empty, non-nil slice.
//
// Each Poll polls, in argument order, the children that are not yet done,
// and never polls a child again once it has returned Done. Join returns
// Pending while any child does. Cancelling Join cancels the children that
// have not finished.
//
// Join holds all the values until the last child finishes; a child that
// fails does not stop the others. Use TryJoin for that.
func Join[T any](fs ...Future[T]) Future[[]T] {
	return &join[T]{
		children: holdAll("Join", fs),
		values:   make([]T, len(fs)),
		left:     len(fs),
	}
}

type join[T any] struct {
	children []Future[T] // children[i] is nil once child i is done
	values   []T         // values[i] is child i's value once it is done
	left     int         // children not yet done
	stage    stage
}

// ANCHOR_END: join-new

// ANCHOR: join-poll

func (j *join[T]) Poll(cx *Context) Poll[[]T] {
	j.stage.check()
	for i, f := range j.children {
		if f == nil {
			continue // done already: never poll it again (rule 3)
		}
		if v, ok := f.Poll(cx).Value(); ok {
			j.values[i] = v
			j.children[i] = nil
			j.left--
		}
	}
	if j.left > 0 {
		return Pending[[]T]() // each pending child arranged a wake-up
	}
	values := j.values
	j.children, j.values, j.stage = nil, nil, finished
	return Done(values)
}

// Cancel cancels every child that has not finished.
func (j *join[T]) Cancel() {
	if j.stage != running {
		return
	}
	cancelAll(j.children)
	j.children, j.values, j.stage = nil, nil, cancelled
}

// ANCHOR_END: join-poll

// ANCHOR_END: join

// ANCHOR: tryjoin

// ANCHOR: tryjoin-new

// TryJoin is Join for futures that can fail. It is done with all the values,
// in argument order, if every child succeeds; as soon as one child is done
// with an error, it is done with that error, and it cancels the children
// that have not finished and never polls them again.
//
// The error that wins is the first in completion order: the first child
// seen to fail, whatever its index. Within one Poll, children are polled in
// argument order, so of two children that would both fail in the same Poll,
// the lower index wins and the other is cancelled without being polled.
func TryJoin[T any](fs ...Future[Result[T]]) Future[Result[[]T]] {
	return &tryJoin[T]{
		children: holdAll("TryJoin", fs),
		values:   make([]T, len(fs)),
		left:     len(fs),
	}
}

type tryJoin[T any] struct {
	children []Future[Result[T]] // children[i] is nil once child i is done
	values   []T
	left     int
	stage    stage
}

// ANCHOR_END: tryjoin-new

// ANCHOR: tryjoin-poll

func (j *tryJoin[T]) Poll(cx *Context) Poll[Result[[]T]] {
	j.stage.check()
	for i, f := range j.children {
		if f == nil {
			continue
		}
		r, ok := f.Poll(cx).Value()
		if !ok {
			continue
		}
		j.children[i] = nil
		if r.Err != nil {
			cancelAll(j.children) // fail fast: abandon the rest
			j.children, j.values, j.stage = nil, nil, finished
			return Done(Err[[]T](r.Err))
		}
		j.values[i] = r.Value
		j.left--
	}
	if j.left > 0 {
		return Pending[Result[[]T]]()
	}
	values := j.values
	j.children, j.values, j.stage = nil, nil, finished
	return Done(Ok(values))
}

// ANCHOR_END: tryjoin-poll

// Cancel cancels every child that has not finished.
func (j *tryJoin[T]) Cancel() {
	if j.stage != running {
		return
	}
	cancelAll(j.children)
	j.children, j.values, j.stage = nil, nil, cancelled
}

// ANCHOR_END: tryjoin
