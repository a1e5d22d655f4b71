package fetch

import (
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// ANCHOR: within

// within returns a future that is f's, unless d passes before f is done:
// then f is cancelled (which closes its connection) and the future is
// done with err. The clock is one of the reactor's timers, started now,
// so a timeout costs no goroutine and no thread. A d of zero or less
// means no limit: within returns f.
func within[T any](c *Client, f future.Future[future.Result[T]],
	d time.Duration, err error) future.Future[future.Result[T]] {
	if d <= 0 {
		return f
	}
	return &timeout[T]{f: f, timer: c.rt.Reactor().Sleep(d), err: err}
}

// timeout is the future of within.
type timeout[T any] struct {
	f     future.Future[future.Result[T]]
	timer future.Future[struct{}]
	err   error
}

func (w *timeout[T]) Poll(cx *future.Context) future.Poll[future.Result[T]] {
	if r, ok := w.f.Poll(cx).Value(); ok {
		w.Cancel()
		return future.Done(r)
	}
	if _, ok := w.timer.Poll(cx).Value(); ok {
		w.timer = nil
		w.Cancel()
		return future.Done(future.Err[T](w.err))
	}
	return future.Pending[future.Result[T]]()
}

// ANCHOR_END: within

// Cancel cancels both the future and its timer.
func (w *timeout[T]) Cancel() {
	future.Cancel(w.f)
	future.Cancel(w.timer)
	w.f, w.timer = nil, nil
}
