package fetch

import (
	"fmt"
	"iter"
	"net/url"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

// ANCHOR: result

// A Result is what fetching one URL came to.
type Result struct {
	URL      string        // as given to All
	Response *Response     // nil if Err is not
	Err      error         // a *url.Error
	Elapsed  time.Duration // from the start of this URL's fetch to its end
}

// ANCHOR_END: result

// ANCHOR: all

// All fetches urls, at most limit at once, and yields each one's index
// and Result in the order of urls, as soon as it and every one before it
// are in. A fetch still under way at deadline (if not zero) ends with
// ErrDeadline, as does every URL not started by then; after a Shutdown,
// every URL not yet fetched ends with sched.ErrShutdown. Breaking out of
// the loop aborts the fetches. All must not be called from a task.
func (c *Client) All(urls []string, limit int,
	deadline time.Time) iter.Seq2[int, Result] {
	return func(yield func(int, Result) bool) {
		b := &batch{c: c, urls: urls, deadline: deadline,
			results: make([]Result, len(urls)),
			done:    make(chan int, len(urls))}
		n := max(1, min(limit, len(urls)))
		tasks := make([]*sched.JoinHandle[struct{}], n)
		b.running.Add(n)
		for i := range tasks {
			var f future.Future[struct{}] = &fetcher{b: b}
			tasks[i] = sched.Spawn(c.rt, f)
		}
		defer b.stop(tasks)
		in := make([]bool, len(urls)) // results in, by index
		next := 0                     // the next index to yield
		for next < len(urls) {
			i := <-b.done
			if i < 0 {
				panic(b.panicked.Load().String())
			}
			in[i] = true
			for ; next < len(urls) && in[next]; next++ {
				r := b.results[next]
				b.results[next] = Result{} // the caller has it now
				if !yield(next, r) {
					return
				}
			}
		}
	}
}

// ANCHOR_END: all

// batch is one call of All, shared by its tasks.
type batch struct {
	c        *Client
	urls     []string
	deadline time.Time
	taken    atomic.Int64 // URLs taken by the tasks so far
	results  []Result     // written by a task, before its index is sent
	done     chan int     // indexes of results in, or -1 for a panic
	panicked atomic.Pointer[fetchPanic]
	running  sync.WaitGroup // the tasks not yet finished or cancelled
	stopping atomic.Bool    // All has returned: no one reads results
}

// stop aborts the tasks, if they are not done, and waits until they are.
func (b *batch) stop(tasks []*sched.JoinHandle[struct{}]) {
	b.stopping.Store(true)
	for _, t := range tasks {
		t.Abort()
	}
	b.running.Wait()
}

// ANCHOR: run-deadline

// get starts the fetch of urls[i], within the deadline.
func (b *batch) get(i int) future.Future[future.Result[*Response]] {
	if b.deadline.IsZero() {
		return b.c.Get(b.urls[i])
	}
	err := &url.Error{Op: "Get", URL: b.urls[i], Err: ErrDeadline}
	d := time.Until(b.deadline)
	if d <= 0 {
		return future.Ready(future.Err[*Response](err))
	}
	return within(b.c, b.c.Get(b.urls[i]), d, err)
}

// ANCHOR_END: run-deadline

// ANCHOR: fetcher

// fetcher is one of All's tasks: it fetches one URL after another.
type fetcher struct {
	b     *batch
	i     int // the index of the URL being fetched
	start time.Time
	cur   future.Future[future.Result[*Response]]
	over  bool // finished or cancelled: b.running has been told
}

func (f *fetcher) Poll(cx *future.Context) (p future.Poll[struct{}]) {
	b := f.b
	defer f.catch(&p)
	for {
		if f.cur == nil {
			f.i = int(b.taken.Add(1)) - 1
			if f.i >= len(b.urls) {
				f.end()
				return future.Done(struct{}{})
			}
			f.start, f.cur = time.Now(), b.get(f.i)
		}
		if testHookPoll != nil {
			testHookPoll(b.urls[f.i])
		}
		r, ok := f.cur.Poll(cx).Value()
		if testHookPending != nil && !ok {
			testHookPending(b.urls[f.i])
		}
		if !ok {
			return future.Pending[struct{}]()
		}
		f.cur = nil
		b.put(f.i, Result{URL: b.urls[f.i], Response: r.Value,
			Err: r.Err, Elapsed: time.Since(f.start)})
	}
}

// ANCHOR_END: fetcher

// put stores the result of urls[i] and tells All's loop. It never
// blocks: done has room for every index, and each is sent once.
func (b *batch) put(i int, r Result) {
	b.results[i] = r
	b.done <- i
}

// testHookPoll, if set, is called before each poll of a fetch, with its
// URL, and testHookPending after a poll that left it pending. Tests set
// them to make a fetch panic.
var testHookPoll, testHookPending func(url string)

// catch turns a panic in a fetch, which is a bug (nothing a server
// sends makes one), into the end of the task and a panic in All's loop,
// on the caller's goroutine, with the task's stack: the program stops
// there, rather than wait for ever for the URL's result.
func (f *fetcher) catch(p *future.Poll[struct{}]) {
	v := recover()
	if v == nil {
		return
	}
	f.b.panicked.CompareAndSwap(nil, &fetchPanic{value: v, stack: debug.Stack()})
	f.cancelBroken()
	f.end()
	f.b.done <- -1 // room for it: this task's URL will never be sent
	*p = future.Done(struct{}{})
}

// cancelBroken cancels a fetch that panicked, so that its connection is
// closed even if the caller recovers from All's panic and goes on. The
// fetch may be in no state to be cancelled: a second panic is dropped,
// the first is the one All reports.
func (f *fetcher) cancelBroken() {
	defer func() { _ = recover() }()
	cur := f.cur
	f.cur = nil
	future.Cancel(cur)
}

// fetchPanic is a panic in one of All's tasks, as All re-raises it.
type fetchPanic struct {
	value any
	stack []byte
}

func (e *fetchPanic) String() string {
	return fmt.Sprintf("fetch: a fetch panicked: %v\n\nthe task's stack:\n%s", e.value, e.stack)
}

// Cancel abandons the fetch under way, if there is one. A fetcher is
// cancelled before it is done when All stops the fetches as it returns,
// or when the runtime shuts down. For the second, the URL it was
// fetching and every URL no task has taken end with sched.ErrShutdown,
// so that All's loop gets a result for each and returns; for the first,
// no one is left to read them.
func (f *fetcher) Cancel() {
	if f.over {
		return
	}
	b, cur := f.b, f.cur
	f.cur = nil
	future.Cancel(cur)
	if !b.stopping.Load() {
		if cur != nil {
			b.put(f.i, b.shutdown(f.i))
		}
		for {
			i := int(b.taken.Add(1)) - 1
			if i >= len(b.urls) {
				break
			}
			b.put(i, b.shutdown(i))
		}
	}
	f.end()
}

// shutdown is the result of urls[i] when the runtime shut down first.
func (b *batch) shutdown(i int) Result {
	err := &url.Error{Op: "Get", URL: b.urls[i], Err: sched.ErrShutdown}
	return Result{URL: b.urls[i], Err: err}
}

// end tells All's stop that this task will not run again.
func (f *fetcher) end() {
	if !f.over {
		f.over = true
		f.b.running.Done()
	}
}
