package answers

import (
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// AllPerHost fetches urls with c, which must run on rt, at most limit at
// once in all and at most perHost at once from any one host:port, and
// returns each URL's Result in the order of urls. Like Client.All, it
// runs limit tasks that take the URLs in turn; but a task whose next URL
// in line is for a host that is full does not wait for that host: it
// takes the first URL, in input order, whose host has room. It blocks
// its goroutine until every URL is done, so it must not be called from
// a task.
func AllPerHost(rt *sched.Runtime, c *fetch.Client, urls []string,
	limit, perHost int) []fetch.Result {
	s := newHosts(c, urls, perHost)
	tasks := make([]*sched.JoinHandle[struct{}], max(1, min(limit, len(urls))))
	for k := range tasks {
		tasks[k] = sched.Spawn(rt, future.Future[struct{}](&hostFetcher{s: s}))
	}
	for _, t := range tasks {
		// its writes to results happen before
		executor.BlockOn[future.Result[struct{}]](t)
	}
	return s.results
}

// newHosts puts urls in lines by host:port, for AllPerHost's tasks.
func newHosts(c *fetch.Client, urls []string, perHost int) *hosts {
	s := &hosts{c: c, urls: urls, perHost: max(1, perHost), left: len(urls),
		keys: make([]string, len(urls)), lines: make(map[string]*hostLine),
		results: make([]fetch.Result, len(urls))}
	for i, u := range urls {
		s.keys[i] = hostKey(u)
		hl := s.lines[s.keys[i]]
		if hl == nil {
			hl = &hostLine{}
			s.lines[s.keys[i]] = hl
		}
		hl.pending = append(hl.pending, i)
	}
	return s
}

// hostKey is the host:port of rawURL, as the client's pool keys it; a
// URL that does not parse gets "", a line of its own, and fails in Get.
func hostKey(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// ANCHOR: ex2-1

// hosts is one call of AllPerHost: a line of URLs per host, and the
// tasks that found no URL they may take yet.
type hosts struct {
	c       *fetch.Client
	urls    []string
	keys    []string // each URL's host:port
	perHost int
	results []fetch.Result // each written by the task that fetched it

	mu      sync.Mutex
	lines   map[string]*hostLine
	left    int            // URLs not taken yet
	waiting []future.Waker // tasks waiting for a host to have room
}

// hostLine is one host's URLs not taken yet, in input order, and how
// many of its fetches are under way.
type hostLine struct {
	pending []int
	running int
}

// ANCHOR_END: ex2-1

// ANCHOR: ex2-2

// take gives a task the first URL, in input order, whose host has room.
// If every URL not yet taken is for a full host, it keeps w, to be woken
// when a fetch ends, and returns ok false; when no URL is left at all,
// it returns more false: the task is done.
func (s *hosts) take(w future.Waker) (i int, ok, more bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.left == 0 {
		return 0, false, false
	}
	var best *hostLine
	for _, hl := range s.lines {
		if len(hl.pending) > 0 && hl.running < s.perHost &&
			(best == nil || hl.pending[0] < best.pending[0]) {
			best = hl
		}
	}
	if best == nil {
		s.waiting = append(s.waiting, w)
		return 0, false, true
	}
	i, best.pending = best.pending[0], best.pending[1:]
	best.running++
	s.left--
	return i, true, true
}

// ANCHOR_END: ex2-2

// ANCHOR: ex2-3

// release ends a fetch from host key, and wakes the waiting tasks: the
// host has room again. All of them, outside the lock: one will take the
// place, the rest look, find none, and wait again.
func (s *hosts) release(key string) {
	s.mu.Lock()
	s.lines[key].running--
	waiting := s.waiting
	s.waiting = nil
	s.mu.Unlock()
	for _, w := range waiting {
		w.Wake()
	}
}

// ANCHOR_END: ex2-3

// ANCHOR: ex2-4

// hostFetcher is one of AllPerHost's tasks: it fetches one URL after
// another, as fetch.All's tasks do, taking them from hosts.
type hostFetcher struct {
	s     *hosts
	i     int // the URL being fetched
	start time.Time
	cur   future.Future[future.Result[*fetch.Response]]
}

func (f *hostFetcher) Poll(cx *future.Context) future.Poll[struct{}] {
	s := f.s
	for {
		if f.cur == nil {
			i, ok, more := s.take(cx.Waker())
			if !more {
				return future.Done(struct{}{})
			}
			if !ok {
				return future.Pending[struct{}]()
			}
			f.i, f.start, f.cur = i, time.Now(), s.c.Get(s.urls[i])
		}
		r, ok := f.cur.Poll(cx).Value()
		if !ok {
			return future.Pending[struct{}]()
		}
		f.cur = nil
		s.results[f.i] = fetch.Result{URL: s.urls[f.i], Response: r.Value,
			Err: r.Err, Elapsed: time.Since(f.start)}
		s.release(s.keys[f.i])
	}
}

// ANCHOR_END: ex2-4

// Cancel abandons the fetch under way, if there is one.
func (f *hostFetcher) Cancel() {
	if f.cur != nil {
		future.Cancel(f.cur)
		f.cur = nil
		f.s.release(f.s.keys[f.i])
	}
}
