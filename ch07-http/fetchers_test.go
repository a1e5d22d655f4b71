package main

import (
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// These tests drive the two fetchers directly, below the printer, to
// check what a line does not show: trailers, the URL after a redirect,
// which error a timeout is.

// testConfig is the program's defaults, with c URLs at once.
func testConfig(c int) config {
	return config{c: c, timeout: 10 * time.Second, connectTimeout: 5 * time.Second,
		maxRedirects: 10, maxBody: 10 << 20, maxHeader: 64 << 10}
}

// newTestFetcher returns the fetcher flags choose (-std,
// -netpoller=false, or none: the book's), with cfg (a zero field: the program's default). It is closed when the
// test ends.
func newTestFetcher(t testing.TB, flags []string, cfg config) fetcher {
	t.Helper()
	def := testConfig(cfg.c)
	if cfg.timeout == 0 {
		cfg.timeout = def.timeout
	}
	cfg.connectTimeout = cmpOr(cfg.connectTimeout, def.connectTimeout)
	cfg.maxRedirects = cmpOr(cfg.maxRedirects, def.maxRedirects)
	cfg.maxBody = cmpOr(cfg.maxBody, def.maxBody)
	cfg.maxHeader = cmpOr(cfg.maxHeader, def.maxHeader)
	cfg.netpoll = !slices.Contains(flags, "-netpoller=false")
	var f fetcher
	if isStd(flags) {
		f = newStdFetcher(cfg)
	} else {
		b, err := newBookFetcher(cfg)
		if err != nil {
			t.Fatal(err)
		}
		f = b
	}
	t.Cleanup(func() {
		if err := f.close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return f
}

// cmpOr is cmp.Or, for the few types here.
func cmpOr[T comparable](a, b T) T {
	var zero T
	if a == zero {
		return b
	}
	return a
}

// collect fetches urls with f under a watchdog, checks that the results
// came in input order, one per URL, and returns them.
func collect(t testing.TB, f fetcher, urls []string) []fetch.Result {
	t.Helper()
	var res []fetch.Result
	var order []int
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.fetch(urls, func(i int, r fetch.Result) bool {
			order = append(order, i)
			res = append(res, r)
			return true
		})
	}()
	reactortest.Await(t, done, nil, "the fetch to end")
	for i, got := range order {
		if got != i {
			t.Fatalf("result %d has index %d: not in input order (%v)", i, got, order)
		}
	}
	if len(res) != len(urls) {
		t.Fatalf("%d results for %d URLs", len(res), len(urls))
	}
	for i, r := range res {
		if r.URL != urls[i] {
			t.Errorf("result %d is for %q, want %q", i, r.URL, urls[i])
		}
		if (r.Err == nil) == (r.Response == nil) {
			t.Errorf("%s: want a response or an error; got %v and %v", r.URL, r.Response, r.Err)
		}
	}
	return res
}

func TestResults(t *testing.T) {
	forClients(t, func(t *testing.T, flags []string) {
		d := startTestDemo(t)
		f := newTestFetcher(t, flags, config{c: 4})
		paths := []string{"/chunked", "/redirect", "/todos/7", "/truncated", "/loop"}
		urls := make([]string, len(paths))
		for i, p := range paths {
			urls[i] = d.url() + p
		}
		res := collect(t, f, urls)

		chunked := res[0].Response
		if chunked == nil {
			t.Fatalf("/chunked: %v", res[0].Err)
		}
		crc := fmt.Sprintf("%08x", crc32.ChecksumIEEE(chunked.Body))
		if got := chunked.Trailer.Get("Body-Crc32"); got != crc {
			t.Errorf("/chunked: trailer Body-Crc32 %q, want %q (trailer %v)", got, crc, chunked.Trailer)
		}
		if ct := chunked.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("/chunked: Content-Type %q", ct)
		}

		redirected := res[1].Response
		if redirected == nil {
			t.Fatalf("/redirect: %v", res[1].Err)
		}
		if redirected.URL.String() != d.url()+"/todos/1" || redirected.Redirects != 1 {
			t.Errorf("/redirect: answered by %v after %d redirects, want %s/todos/1 after 1",
				redirected.URL, redirected.Redirects, d.url())
		}

		if r := res[2].Response; r == nil || r.StatusCode != 200 || r.Status != "200 OK" || r.Redirects != 0 {
			t.Errorf("/todos/7: %+v, %v", r, res[2].Err)
		}

		var ue *url.Error
		if !errors.As(res[3].Err, &ue) {
			t.Errorf("/truncated: error %v, want a *url.Error", res[3].Err)
		}
		if res[4].Err == nil {
			t.Errorf("/loop: no error")
		}
	})
}

// TestTimeout: a URL whose server never answers ends with a timeout
// error: fetch.ErrTimeout from the book's client, an error whose
// Timeout method says so from net/http.
func TestTimeout(t *testing.T) {
	forClients(t, func(t *testing.T, flags []string) {
		d := startTestDemo(t)
		f := newTestFetcher(t, flags, config{c: 1, timeout: 20 * time.Millisecond})
		r := collect(t, f, []string{d.url() + "/hang"})[0]
		var timeout interface{ Timeout() bool }
		switch {
		case !isStd(flags) && !errors.Is(r.Err, fetch.ErrTimeout):
			t.Errorf("/hang: error %v, want fetch.ErrTimeout", r.Err)
		case !errors.As(r.Err, &timeout) || !timeout.Timeout():
			t.Errorf("/hang: error %v, want a timeout", r.Err)
		}
	})
}

// TestDeadline: URLs under way at the deadline and URLs not started by
// then all fail with fetch.ErrDeadline, for both clients, and the fetch
// ends.
func TestDeadline(t *testing.T) {
	forClients(t, func(t *testing.T, flags []string) {
		d := startTestDemo(t)
		cfg := config{c: 2, deadline: 50 * time.Millisecond}
		f := newTestFetcher(t, flags, cfg)
		urls := []string{d.url() + "/hang", d.url() + "/hang", d.url() + "/hang", d.url() + "/todos/1"}
		// The first two hang until the deadline; the other two cannot
		// start before it, since -c 2 keeps them waiting for a slot.
		res := collect(t, f, urls)
		for _, r := range res {
			if !errors.Is(r.Err, fetch.ErrDeadline) {
				t.Errorf("%s: error %v, want fetch.ErrDeadline", r.URL, r.Err)
			}
		}
	})
}

// TestAbort: when each returns false, the fetch stops at once: the
// fetches still under way (that would hang) are aborted, and no more
// results are handed over.
func TestAbort(t *testing.T) {
	forClients(t, func(t *testing.T, flags []string) {
		d := startTestDemo(t)
		f := newTestFetcher(t, flags, config{c: 3})
		urls := []string{d.url() + "/todos/1", d.url() + "/hang", d.url() + "/hang", d.url() + "/todos/2"}
		calls := 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			f.fetch(urls, func(i int, r fetch.Result) bool {
				calls++
				return false
			})
		}()
		reactortest.Await(t, done, nil, "the aborted fetch to end")
		if calls != 1 {
			t.Errorf("each called %d times after it returned false, want once", calls)
		}
	})
}

// TestInOrder feeds inOrder results in random orders and checks that
// it hands them over in input order, and that after an abort it drains
// the channel.
func TestInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for range 100 {
		n := rng.IntN(50)
		results := make(chan indexed, n)
		for _, i := range rng.Perm(n) {
			results <- indexed{i, fetch.Result{URL: strconv.Itoa(i)}}
		}
		close(results)
		stopAt := rng.IntN(n + 1)
		var got []int
		aborted := false
		inOrder(results, n, func(i int, r fetch.Result) bool {
			if r.URL != strconv.Itoa(i) {
				t.Fatalf("index %d has result %s", i, r.URL)
			}
			got = append(got, i)
			return i != stopAt
		}, func() { aborted = true })
		want := min(stopAt+1, n)
		if len(got) != want || aborted != (stopAt < n) {
			t.Fatalf("n=%d stop at %d: %d results, aborted %v", n, stopAt, len(got), aborted)
		}
		for i, g := range got {
			if g != i {
				t.Fatalf("n=%d: order %v", n, got)
			}
		}
		if len(results) != 0 {
			t.Fatalf("%d results left in the channel", len(results))
		}
	}
}

// countingServer answers /n/{i} with a small JSON body and counts the
// requests for each URL.
type countingServer struct {
	url  string
	mu   sync.Mutex
	hits map[string]int
}

// countingBody is /n/{i}'s body.
func countingBody(i int) []byte {
	return []byte(fmt.Sprintf(`{"id":%d,"title":"n%d"}`, i, i))
}

func newCountingServer(t testing.TB) *countingServer {
	s := &countingServer{hits: make(map[string]int)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		var i int
		if _, err := fmt.Sscanf(r.URL.Path, "/n/%d", &i); err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(countingBody(i))
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// checkOnce checks that /n/0 to /n/{n-1}, and nothing else, were each
// asked for exactly once.
func (s *countingServer) checkOnce(t testing.TB, n int) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range n {
		p := fmt.Sprintf("/n/%d", i)
		if s.hits[p] != 1 {
			t.Errorf("%s was asked for %d times, want once", p, s.hits[p])
		}
	}
	if len(s.hits) != n {
		t.Errorf("%d paths asked for, want %d", len(s.hits), n)
	}
}
