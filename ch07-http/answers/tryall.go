// Package answers holds answers to the exercises of chapter 7, as code
// that go test checks. The book's answers appendix includes it by anchor.
//
// Each answer uses package fetch only through what it exports: a
// Client's Get futures, run as tasks on chapter 5's runtime, and, where
// the client cannot help (a HEAD request), chapter 6's connections.
package answers

import (
	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// ANCHOR: ex1-1

// TryAll returns a future that fetches urls with c, at most limit at a
// time, all inside the one task that polls it. It is done with every
// response, in the order of urls, or with the first error to happen (in
// time, not in the order of urls): then it cancels every fetch still
// under way, which closes its connection, and starts no more. A 4xx or
// 5xx is a response, as it is for Get.
func TryAll(c *fetch.Client, urls []string,
	limit int) future.Future[future.Result[[]*fetch.Response]] {
	return &tryAll{c: c, urls: urls, limit: max(1, limit),
		resps: make([]*fetch.Response, len(urls))}
}

// tryAll is TryAll's future: a window of at most limit Gets, refilled
// from urls as they finish.
type tryAll struct {
	c      *fetch.Client
	urls   []string
	limit  int
	next   int        // the next URL to start
	flying []inFlight // the Gets under way
	resps  []*fetch.Response
	done   bool
}

// inFlight is one Get under way, and the index of its URL.
type inFlight struct {
	i int
	f future.Future[future.Result[*fetch.Response]]
}

// ANCHOR_END: ex1-1

// ANCHOR: ex1-2

func (t *tryAll) Poll(
	cx *future.Context) future.Poll[future.Result[[]*fetch.Response]] {
	if t.done {
		panic("answers: TryAll's future polled after it was done")
	}
	for {
		for len(t.flying) < t.limit && t.next < len(t.urls) {
			get := t.c.Get(t.urls[t.next])
			t.flying = append(t.flying, inFlight{t.next, get})
			t.next++
		}
		if len(t.flying) == 0 {
			t.done = true
			return future.Done(future.Ok(t.resps))
		}
		finished := false
		for k := 0; k < len(t.flying); {
			r, ok := t.flying[k].f.Poll(cx).Value()
			if !ok {
				k++
				continue
			}
			if r.Err != nil {
				t.flying = append(t.flying[:k], t.flying[k+1:]...)
				t.Cancel() // the rest: the first error decides
				return future.Done(future.Err[[]*fetch.Response](r.Err))
			}
			t.resps[t.flying[k].i] = r.Value
			t.flying = append(t.flying[:k], t.flying[k+1:]...)
			finished = true
		}
		if !finished {
			return future.Pending[future.Result[[]*fetch.Response]]()
		}
		// Slots came free: start the next URLs, and poll them, so that
		// each has left the task's waker where it waits.
	}
}

// ANCHOR_END: ex1-2

// Cancel cancels every Get still under way, closing its connection.
func (t *tryAll) Cancel() {
	t.done = true
	for _, fl := range t.flying {
		future.Cancel(fl.f)
	}
	t.flying = nil
}
