//go:build linux || darwin || freebsd || netbsd || openbsd

package answers

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch05-workstealing/schedtest"
	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// newClient starts a runtime of two workers and a client on it; both
// are closed when the test ends (the idle connections first).
func newClient(t *testing.T) (*sched.Runtime, *fetch.Client) {
	t.Helper()
	rt := schedtest.New(t, 2, sched.New)
	c := fetch.New(rt)
	t.Cleanup(c.CloseIdle)
	return rt, c
}

// await runs f as a task on rt and returns what it was done with,
// failing the test if it is not done within reactortest.StallLimit.
func await[T any](t *testing.T, rt *sched.Runtime, f future.Future[T]) T {
	t.Helper()
	var v T
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		v, err = sched.BlockOn(rt, f)
	}()
	reactortest.Await(t, done, nil, "the task to finish")
	if err != nil {
		t.Fatalf("task: %v", err)
	}
	return v
}

// call runs fn on another goroutine and waits for it under the same
// watchdog: AllPerHost and Crawl block until their tasks are done.
func call[T any](t *testing.T, fn func() T) T {
	t.Helper()
	var v T
	done := make(chan struct{})
	go func() {
		defer close(done)
		v = fn()
	}()
	reactortest.Await(t, done, nil, "the fetches to finish")
	return v
}

// counter counts a server's requests under way, and the most at once.
type counter struct {
	mu        sync.Mutex
	now, most int
	hits      map[string]int // by request URI
}

func (c *counter) enter(uri string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now++
	c.most = max(c.most, c.now)
	if c.hits == nil {
		c.hits = make(map[string]int)
	}
	c.hits[uri]++
}

func (c *counter) leave() {
	c.mu.Lock()
	c.now--
	c.mu.Unlock()
}

func (c *counter) get(uri string) (hits, most int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits[uri], c.most
}

// TestTryAllInOrder fetches 30 URLs four at a time: every response
// comes back in the order of the URLs, a 404 among them, and the server
// never sees more than four requests at once.
func TestTryAllInOrder(t *testing.T) {
	rt, c := newClient(t)
	var cnt counter
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cnt.enter(r.RequestURI)
		defer cnt.leave()
		if r.URL.Path == "/n/13" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, r.URL.Path)
	}))
	defer srv.Close()
	var urls []string
	for i := range 30 {
		urls = append(urls, fmt.Sprintf("%s/n/%d", srv.URL, i))
	}
	r := await(t, rt, TryAll(c, urls, 4))
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	for i, resp := range r.Value {
		want := fmt.Sprintf("/n/%d", i)
		if i == 13 {
			if resp.StatusCode != 404 {
				t.Errorf("%s: %s, want 404", want, resp.Status)
			}
		} else if string(resp.Body) != want {
			t.Errorf("response %d is %q, want %q", i, resp.Body, want)
		}
	}
	if _, most := cnt.get(""); most > 4 {
		t.Errorf("the server saw %d requests at once, want at most 4", most)
	}
}

// TestTryAllFailsFast fetches three URLs that never answer and one whose
// server hangs up without answering, four at a time, with more URLs
// behind them. The hang-up ends TryAll at once, with its error; the
// three waiting fetches are cancelled, so the server sees their
// connections close; and the URLs behind are never requested.
func TestTryAllFailsFast(t *testing.T) {
	rt, c := newClient(t)
	var cnt counter
	closed := make(chan string, 3)
	hanging := make(chan struct{}, 3)
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cnt.enter(r.URL.Path)
		defer cnt.leave()
		switch r.URL.Path {
		case "/hang/1", "/hang/2", "/hang/3":
			hanging <- struct{}{}
			select {
			case <-r.Context().Done(): // the client closed the connection
				closed <- r.URL.Path
			case <-stop:
			}
		case "/hangup":
			// Hang up only once the three requests are in: a fetch
			// cancelled before its request was sent closes a
			// connection whose handler never runs.
			for range 3 {
				select {
				case <-hanging:
				case <-stop:
					return
				}
			}
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}
	}))
	defer srv.Close()
	defer close(stop)
	urls := []string{srv.URL + "/hang/1", srv.URL + "/hang/2", srv.URL + "/hang/3",
		srv.URL + "/hangup", srv.URL + "/after/1", srv.URL + "/after/2"}
	r := await(t, rt, TryAll(c, urls, 4))
	var ue *url.Error
	if !errors.As(r.Err, &ue) || ue.URL != srv.URL+"/hangup" ||
		!strings.Contains(r.Err.Error(), "without a response") {
		t.Fatalf("TryAll: %v, %v; want the hang-up's error", r.Value, r.Err)
	}
	for range 3 {
		select {
		case <-closed:
		case <-time.After(reactortest.StallLimit):
			t.Fatal("a cancelled fetch's connection was not closed")
		}
	}
	for _, p := range []string{"/after/1", "/after/2"} {
		if n, _ := cnt.get(p); n != 0 {
			t.Errorf("%s was requested %d times after the first error, want 0", p, n)
		}
	}
}

// lab is two servers whose handlers wait on each other, under one lock.
type lab struct {
	mu      sync.Mutex
	cond    *sync.Cond
	stopped bool
	a, b    *gate
}

// gate is one of lab's servers: how many requests it has had, and has
// under way.
type gate struct {
	srv              *httptest.Server
	n                int // the requests it will get in all
	arrived, now, mx int
}

// newLab starts two servers, a and b, that each expect n requests.
// Each holds a request until two of its own are under way at once (or
// the request is its last), so a host limit below two hangs the test;
// a also holds its requests until b has had one, so a fetcher that
// waits for a's room with b's URLs untouched hangs it too.
func newLab(t *testing.T, n int) *lab {
	l := &lab{a: &gate{n: n}, b: &gate{n: n}}
	l.cond = sync.NewCond(&l.mu)
	for _, g := range []*gate{l.a, l.b} {
		g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			l.mu.Lock()
			g.arrived++
			g.now++
			g.mx = max(g.mx, g.now)
			l.cond.Broadcast()
			for !l.stopped && !((g.now >= 2 || g.arrived == g.n) && (g == l.b || l.b.arrived > 0)) {
				l.cond.Wait()
			}
			l.mu.Unlock()
			fmt.Fprint(w, r.URL.Path)
			l.mu.Lock()
			g.now--
			l.mu.Unlock()
		}))
		t.Cleanup(g.srv.Close)
	}
	t.Cleanup(func() { // before the servers close: no handler stays held
		l.mu.Lock()
		l.stopped = true
		l.cond.Broadcast()
		l.mu.Unlock()
	})
	return l
}

// TestAllPerHost fetches ten URLs from host a and then ten from host b,
// six at a time but two at most per host. Each server sees two requests
// at once, never three, and b's are fetched while a's are still waiting.
func TestAllPerHost(t *testing.T) {
	rt, c := newClient(t)
	l := newLab(t, 10)
	var urls []string
	for _, g := range []*gate{l.a, l.b} {
		for i := range g.n {
			urls = append(urls, fmt.Sprintf("%s/%d", g.srv.URL, i))
		}
	}
	results := call(t, func() []fetch.Result { return AllPerHost(rt, c, urls, 6, 2) })
	for i, r := range results {
		if r.Err != nil || r.URL != urls[i] || !strings.HasSuffix(urls[i], string(r.Response.Body)) {
			t.Errorf("result %d: %+v, want %s", i, r, urls[i])
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.a.mx != 2 || l.b.mx != 2 {
		t.Errorf("requests at once: a %d, b %d; want 2 each", l.a.mx, l.b.mx)
	}
}

// TestAllPerHostBadURL checks that a URL that does not parse fails
// alone, as it does in fetch.All, and the rest are fetched.
func TestAllPerHostBadURL(t *testing.T) {
	rt, c := newClient(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	urls := []string{srv.URL + "/1", "http://[::1", srv.URL + "/2", "https://example.com/"}
	results := call(t, func() []fetch.Result { return AllPerHost(rt, c, urls, 3, 1) })
	for i, r := range results {
		wantErr := i == 1 || i == 3
		if (r.Err != nil) != wantErr {
			t.Errorf("%s: %v, want an error: %v", urls[i], r.Err, wantErr)
		}
	}
	if !errors.Is(results[3].Err, fetch.ErrHTTPS) {
		t.Errorf("https URL: %v, want ErrHTTPS", results[3].Err)
	}
}

// TestHostsTake follows AllPerHost's choice of URL step by step, as a
// server cannot: that a third request to a host is never sent can only
// be seen from the side that decides. Two per host: a task takes the
// first URL whose host has room, waits when none has, and is woken when
// a fetch ends.
func TestHostsTake(t *testing.T) {
	a, b := "http://127.0.0.1:1/", "http://127.0.0.1:2/"
	urls := []string{a + "0", a + "1", a + "2", a + "3", b + "4", b + "5", b + "6"}
	s := newHosts(nil, urls, 2)
	woken := 0
	w := future.WakerFunc(func() { woken++ })
	take := func(want int) {
		t.Helper()
		i, ok, more := s.take(w)
		switch {
		case want == -1 && (ok || !more):
			t.Fatalf("take: %d, %v, %v; want to wait", i, ok, more)
		case want == -2 && more:
			t.Fatalf("take: %d, %v, %v; want the end", i, ok, more)
		case want >= 0 && (!ok || i != want):
			t.Fatalf("take: %d, %v, %v; want URL %d", i, ok, more, want)
		}
	}
	take(0)
	take(1)
	take(4) // a is full: b's first
	take(5)
	take(-1) // both full
	s.release(s.keys[0])
	if woken != 1 {
		t.Fatalf("a release woke %d waiting tasks, want 1", woken)
	}
	take(2)
	take(-1)
	s.release(s.keys[4])
	take(6)
	s.release(s.keys[1])
	take(3)
	take(-2) // nothing left to take
}

// TestSuiteInNetpoller runs the package's tests again with every
// runtime asleep in Go's netpoller, as the packages they build on do.
func TestSuiteInNetpoller(t *testing.T) { reactortest.SuiteInNetpoller(t) }
