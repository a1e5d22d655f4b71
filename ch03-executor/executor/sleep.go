package executor

import (
	"sync"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// ANCHOR: sleep

// ANCHOR: sleep-new

// Sleep returns a future that is done once d has passed since Sleep was
// called: the deadline is fixed at the call, as with tokio's sleep, but the
// timer is only started by the first Poll, so a Sleep that is never polled
// costs nothing. A d of zero or less is done on the first Poll.
//
// The future implements future.Canceler: Cancel stops the timer, and
// whoever abandons the future before it is done (Select does, for its
// losers) must call it. Polling it after it is done or cancelled panics.
//
// Sleep is a stopgap. Each one costs a runtime timer (time.AfterFunc), and
// each firing starts a new goroutine just to call Wake. Chapter 4's reactor
// replaces it with a heap of deadlines that sets epoll_wait's timeout.
func Sleep(d time.Duration) future.Future[struct{}] {
	return &sleep{deadline: time.Now().Add(d)}
}

type sleep struct {
	deadline time.Time

	mu     sync.Mutex
	timer  *time.Timer  // started by the first Poll that finds time left
	fired  bool         // the timer has fired
	waker  future.Waker // the waker of the latest Poll (rule 2)
	closed bool         // Poll returned Done, or Cancel was called
}

// ANCHOR_END: sleep-new

// ANCHOR: sleep-poll

func (s *sleep) Poll(cx *future.Context) future.Poll[struct{}] {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		panic("executor: Sleep polled after it was done or cancelled")
	}
	if s.fired || !time.Now().Before(s.deadline) {
		s.closed, s.waker = true, nil
		return future.Done(struct{}{})
	}
	s.waker = cx.Waker() // the timer wakes whoever polled last
	if s.timer == nil {
		s.timer = time.AfterFunc(time.Until(s.deadline), s.fire)
	}
	return future.Pending[struct{}]()
}

// fire runs on the goroutine time.AfterFunc starts when the timer fires.
func (s *sleep) fire() {
	s.mu.Lock()
	s.fired = true
	w := s.waker
	s.mu.Unlock()
	if w != nil {
		w.Wake()
	}
}

// ANCHOR_END: sleep-poll

// Cancel stops the timer, if it is running, and lets go of the waker.
// Calling it after the future is done, or twice, does nothing.
func (s *sleep) Cancel() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
	}
	s.closed, s.waker = true, nil
}

// ANCHOR_END: sleep
