package answers

import (
	"mime"
	"net/url"
	"regexp"
	"sync"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// Crawl fetches start with c, which must run on rt, then every page
// that start links to on the same host:port, every page those link to,
// and so on, up to depth links away from start; at most limit at once,
// and each URL once. It returns what each URL it fetched came to. The
// links are the href attributes of an HTML body (Content-Type
// text/html), resolved against the URL that answered, without their
// #fragment. Like AllPerHost it runs limit tasks, and blocks its
// goroutine until they are all done.
func Crawl(rt *sched.Runtime, c *fetch.Client, start string,
	depth, limit int) map[string]fetch.Result {
	cr := &crawl{c: c, host: hostKey(start), depth: depth,
		queue: []page{{start, 0}}, seen: map[string]bool{start: true},
		results: make(map[string]fetch.Result)}
	tasks := make([]*sched.JoinHandle[struct{}], max(1, limit))
	for k := range tasks {
		tasks[k] = sched.Spawn(rt, future.Future[struct{}](&crawler{cr: cr}))
	}
	for _, t := range tasks {
		executor.BlockOn[future.Result[struct{}]](t)
	}
	return cr.results
}

// page is a URL to fetch, and how many links away from start it is.
type page struct {
	url   string
	depth int
}

// ANCHOR: ex4-1

// crawl is one call of Crawl. Its tasks share a queue of pages found
// and not yet taken. A task that finds the queue empty may not stop
// while any fetch is running: that page may link to more.
type crawl struct {
	c     *fetch.Client
	host  string // start's host:port: links elsewhere are not followed
	depth int

	mu      sync.Mutex
	queue   []page
	seen    map[string]bool // every URL ever queued
	running int             // fetches under way
	results map[string]fetch.Result
	waiting []future.Waker // tasks waiting for the queue to fill
}

// take gives a task the next page. With none queued it keeps w, to be
// woken when a fetch ends, and returns ok false; with none queued and
// none being fetched, nothing can queue more: the crawl is over, and
// it returns more false.
func (cr *crawl) take(w future.Waker) (p page, ok, more bool) {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	switch {
	case len(cr.queue) > 0:
		p, cr.queue = cr.queue[0], cr.queue[1:]
		cr.running++
		return p, true, true
	case cr.running == 0:
		return page{}, false, false
	}
	cr.waiting = append(cr.waiting, w)
	return page{}, false, true
}

// ANCHOR_END: ex4-1

// ANCHOR: ex4-2

// done records what p came to, queues the links it holds that are new,
// and wakes the waiting tasks: there may be pages for them, or, if this
// was the last fetch and it found nothing new, the end.
func (cr *crawl) done(p page, r fetch.Result) {
	var links []string
	if r.Err == nil && p.depth < cr.depth {
		links = cr.links(r.Response)
	}
	cr.mu.Lock()
	cr.results[p.url] = r
	cr.running--
	for _, l := range links {
		if !cr.seen[l] {
			cr.seen[l] = true
			cr.queue = append(cr.queue, page{l, p.depth + 1})
		}
	}
	waiting := cr.waiting
	cr.waiting = nil
	cr.mu.Unlock()
	for _, w := range waiting {
		w.Wake()
	}
}

// ANCHOR_END: ex4-2

// ANCHOR: ex4-3

// href finds the links of an HTML page: enough for pages we wrote, not
// for the web at large, which wants golang.org/x/net/html.
var href = regexp.MustCompile(`(?i)\shref\s*=\s*"([^"]*)"`)

// links returns the URLs that resp's body links to on the crawl's host.
func (cr *crawl) links(resp *fetch.Response) []string {
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "text/html" {
		return nil
	}
	var out []string
	for _, m := range href.FindAllSubmatch(resp.Body, -1) {
		u, err := resp.URL.Parse(string(m[1]))
		if err != nil || u.Scheme != "http" || hostKey(u.String()) != cr.host {
			continue
		}
		u.Fragment, u.RawFragment = "", ""
		out = append(out, u.String())
	}
	return out
}

// ANCHOR_END: ex4-3

// ANCHOR: ex4-4

// crawler is one of Crawl's tasks.
type crawler struct {
	cr    *crawl
	p     page // the page being fetched
	start time.Time
	cur   future.Future[future.Result[*fetch.Response]]
}

func (f *crawler) Poll(cx *future.Context) future.Poll[struct{}] {
	cr := f.cr
	for {
		if f.cur == nil {
			p, ok, more := cr.take(cx.Waker())
			if !more {
				return future.Done(struct{}{})
			}
			if !ok {
				return future.Pending[struct{}]()
			}
			f.p, f.start, f.cur = p, time.Now(), cr.c.Get(p.url)
		}
		r, ok := f.cur.Poll(cx).Value()
		if !ok {
			return future.Pending[struct{}]()
		}
		f.cur = nil
		cr.done(f.p, fetch.Result{URL: f.p.url, Response: r.Value,
			Err: r.Err, Elapsed: time.Since(f.start)})
	}
}

// ANCHOR_END: ex4-4

// Cancel abandons the fetch under way, if there is one, as a failure of
// its page.
func (f *crawler) Cancel() {
	if f.cur != nil {
		future.Cancel(f.cur)
		f.cur = nil
		err := &url.Error{Op: "Get", URL: f.p.url, Err: sched.ErrAborted}
		f.cr.done(f.p, fetch.Result{URL: f.p.url, Err: err})
	}
}
