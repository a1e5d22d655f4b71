package fetch_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// itemServer is a net/http test server for All's tests. /item/N answers
// "item N"; /hang answers only when the client goes away or the test
// ends. It counts the requests for each path, and how many are in its
// handlers at once.
type itemServer struct {
	*httptest.Server
	mu       sync.Mutex
	hits     map[string]int
	inFlight atomic.Int64
	maxIn    atomic.Int64
	hanging  atomic.Int64 // /hang handlers running now

	// gate, if set, holds every request until two are in its handlers at
	// once (or stallLimit passes, which sets serial): a client that
	// fetched one URL at a time would never get past it.
	gate     bool
	two      chan struct{}
	twoOnce  sync.Once
	serial   atomic.Bool
	testDone chan struct{}
}

func newItemServer(t *testing.T, gate bool) *itemServer {
	s := &itemServer{hits: map[string]int{}, gate: gate, two: make(chan struct{}), testDone: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		close(s.testDone)
		s.Close()
	})
	return s
}

func (s *itemServer) serve(w http.ResponseWriter, r *http.Request) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1) // before the response is flushed, so before the client sees it
	for {
		m := s.maxIn.Load()
		if n <= m || s.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.mu.Unlock()
	if s.gate {
		if n >= 2 {
			s.twoOnce.Do(func() { close(s.two) })
		}
		select {
		case <-s.two:
		case <-time.After(stallLimit):
			s.serial.Store(true)
		case <-s.testDone:
		}
	}
	if r.URL.Path == "/hang" {
		s.hanging.Add(1)
		defer s.hanging.Add(-1)
		select {
		case <-r.Context().Done(): // the client closed the connection
		case <-s.testDone:
		}
		return
	}
	fmt.Fprintf(w, "item %s", strings.TrimPrefix(r.URL.Path, "/item/"))
}

func (s *itemServer) hitsOf(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// items returns n URLs of s, /item/0 to /item/n-1.
func (s *itemServer) items(n int) []string {
	urls := make([]string, n)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/item/%d", s.URL, i)
	}
	return urls
}

// checkItems checks that got holds one successful result for each of
// urls, in order, and that the server saw each exactly once.
func checkItems(t *testing.T, s *itemServer, urls []string, got []collected) {
	t.Helper()
	if len(got) != len(urls) {
		t.Errorf("All yielded %d results for %d URLs", len(got), len(urls))
	}
	for k, c := range got {
		if c.i != k {
			t.Fatalf("result %d has index %d: out of order", k, c.i)
		}
		if c.r.URL != urls[k] {
			t.Errorf("result %d is for %q, want %q", k, c.r.URL, urls[k])
		}
		if c.r.Err != nil {
			t.Errorf("result %d (%s): %v", k, urls[k], c.r.Err)
			continue
		}
		if want := "item " + strconv.Itoa(k); c.r.Response == nil || string(c.r.Response.Body) != want {
			t.Errorf("result %d: response %+v, want body %q", k, c.r.Response, want)
		}
		if c.r.Elapsed <= 0 {
			t.Errorf("result %d: Elapsed %v", k, c.r.Elapsed)
		}
	}
	for k := range urls {
		if n := s.hitsOf("/item/" + strconv.Itoa(k)); n != 1 {
			t.Errorf("/item/%d fetched %d times, want once", k, n)
		}
	}
}

// TestAll fetches 1,000 URLs with a limit of 50: each is fetched once,
// the results come in input order, the server never has more than 50
// requests at once, and more than one (its gate holds every request
// until two are in).
func TestAll(t *testing.T) {
	s := newItemServer(t, true)
	_, c := newClient(t, 4)
	urls := s.items(1000)
	const limit = 50
	got := collect(t, c.All(urls, limit, time.Time{}), nil)
	checkItems(t, s, urls, got)
	if m := s.maxIn.Load(); m > limit {
		t.Errorf("the server had %d requests at once, limit %d", m, limit)
	}
	if s.serial.Load() {
		t.Errorf("the server never had two requests at once in %v: All fetched one URL at a time", stallLimit)
	}
	t.Logf("at most %d requests at once", s.maxIn.Load())
}

// TestAllLimitOne checks that a limit of 1 fetches one URL at a time.
func TestAllLimitOne(t *testing.T) {
	s := newItemServer(t, false)
	_, c := newClient(t, 4)
	urls := s.items(50)
	got := collect(t, c.All(urls, 1, time.Time{}), nil)
	checkItems(t, s, urls, got)
	if m := s.maxIn.Load(); m != 1 {
		t.Errorf("limit 1: the server had %d requests at once", m)
	}
}

// TestAllEdges checks All with no URLs, and with a limit above their
// number.
func TestAllEdges(t *testing.T) {
	s := newItemServer(t, false)
	_, c := newClient(t, 2)
	if got := collect(t, c.All(nil, 10, time.Time{}), nil); len(got) != 0 {
		t.Errorf("All of no URLs yielded %v", got)
	}
	urls := s.items(3)
	checkItems(t, s, urls, collect(t, c.All(urls, 100, time.Time{}), nil))
}

// TestAllErrorsPerURL checks that URLs that fail give errors in their
// own results and do not stop the others.
func TestAllErrorsPerURL(t *testing.T) {
	s := newItemServer(t, false)
	_, c := newClient(t, 2)
	urls := []string{s.URL + "/item/0", "https://example.com/", s.URL + "/item/2", "http://[::1", s.URL + "/item/4"}
	got := collect(t, c.All(urls, 2, time.Time{}), nil)
	if len(got) != len(urls) {
		t.Fatalf("%d results for %d URLs", len(got), len(urls))
	}
	for k, g := range got {
		switch {
		case g.i != k || g.r.URL != urls[k]:
			t.Errorf("result %d: index %d, URL %q", k, g.i, g.r.URL)
		case k%2 == 0 && (g.r.Err != nil || string(g.r.Response.Body) != "item "+strconv.Itoa(k)):
			t.Errorf("result %d: %+v", k, g.r)
		case k%2 == 1 && (g.r.Err == nil || g.r.Response != nil):
			t.Errorf("result %d (%s): %+v, want an error and no response", k, urls[k], g.r)
		}
	}
	if !errors.Is(got[1].r.Err, fetch.ErrHTTPS) {
		t.Errorf("https URL: %v, want ErrHTTPS", got[1].r.Err)
	}
}

// TestAllDeadline gives All URLs that hang, then URLs that would answer,
// with a limit of 2 and a deadline: every result is ErrDeadline, the loop
// ends, the fetches that hung are given up (the server sees their
// connections close), and the URLs never started are never fetched.
func TestAllDeadline(t *testing.T) {
	s := newItemServer(t, false)
	_, c := newClient(t, 2)
	var urls []string
	for range 5 {
		urls = append(urls, s.URL+"/hang")
	}
	urls = append(urls, s.items(5)...)
	got := collect(t, c.All(urls, 2, time.Now().Add(200*time.Millisecond)), nil)
	if len(got) != len(urls) {
		t.Fatalf("%d results for %d URLs", len(got), len(urls))
	}
	for k, g := range got {
		if g.i != k || g.r.URL != urls[k] {
			t.Errorf("result %d: index %d, URL %q", k, g.i, g.r.URL)
		}
		if !errors.Is(g.r.Err, fetch.ErrDeadline) || g.r.Response != nil {
			t.Errorf("result %d (%s): %+v, want ErrDeadline", k, urls[k], g.r)
		}
	}
	if n := s.hitsOf("/hang"); n > 2 {
		t.Errorf("/hang fetched %d times with a limit of 2", n)
	}
	for k := range 5 {
		if n := s.hitsOf("/item/" + strconv.Itoa(k)); n != 0 {
			t.Errorf("/item/%d, never started before the deadline, was fetched %d times", k, n)
		}
	}
	waitFor(t, func() bool { return s.hanging.Load() == 0 }, "the hung requests' connections to close after the deadline")
}

// waitFor waits until cond holds, failing the test if that takes longer
// than stallLimit. It is for conditions on another process's view (a
// server's), which offers no channel to wait on.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	done := make(chan struct{})
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(done)
		for !cond() {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	reactortest.Await(t, done, nil, what)
}

// TestAllBreak breaks out of the loop after the first result while the
// other fetches hang: the loop returns, the fetches are aborted (the
// server sees their connections close), and no goroutine or descriptor
// is left behind.
func TestAllBreak(t *testing.T) {
	s := newItemServer(t, false)
	_, c := newClient(t, 2)
	fds, fdsOK := reactortest.OpenFDs()
	goroutines := runtime.NumGoroutine()
	urls := []string{s.URL + "/item/0"}
	for range 20 {
		urls = append(urls, s.URL+"/hang")
	}
	got := collect(t, c.All(urls, 10, time.Time{}), func(int, fetch.Result) bool { return true })
	if len(got) != 1 || got[0].i != 0 || got[0].r.Err != nil {
		t.Fatalf("got %+v, want the first result alone", got)
	}
	waitFor(t, func() bool { return s.hanging.Load() == 0 }, "the server to see the aborted fetches' connections close")
	if n := s.hitsOf("/hang"); n > 10 {
		t.Errorf("/hang fetched %d times with a limit of 10", n)
	}
	c.CloseIdle()
	reactortest.GoroutinesBack(t, goroutines)
	if fdsOK {
		reactortest.FDsBack(t, fds)
	}
}

// TestAllStress runs All 20 times over one client, for the race
// detector: every run fetches each URL once and yields in order.
func TestAllStress(t *testing.T) {
	s := newItemServer(t, false)
	_, c := newClient(t, 4)
	for run := range 20 {
		urls := s.items(100)
		for i := range urls {
			urls[i] += fmt.Sprintf("?run=%d", run) // the server counts paths; the query tells the runs apart for the reader
		}
		s.mu.Lock()
		clear(s.hits)
		s.mu.Unlock()
		got := collect(t, c.All(urls, 1+run%16, time.Time{}), nil)
		checkItems(t, s, urls, got)
		if t.Failed() {
			t.Fatalf("run %d failed", run)
		}
	}
}

// TestAllPanic checks that a panic in one fetch (a bug: a test hook
// makes it) stops All's loop with a panic on the caller's goroutine that
// carries the task's stack, after every other task has stopped, instead
// of leaving the loop waiting for ever for that URL's result.
func TestAllPanic(t *testing.T) {
	s := newItemServer(t, false)
	_, c := newClient(t, 2)
	urls := s.items(20)
	fetch.SetTestHookPoll(func(u string) {
		if u == urls[7] {
			panic("boom at item 7")
		}
	})
	t.Cleanup(func() { fetch.SetTestHookPoll(nil) })

	done := make(chan struct{})
	var yielded []int
	var got any
	go func() {
		defer close(done)
		defer func() { got = recover() }()
		for i := range c.All(urls, 4, time.Time{}) {
			yielded = append(yielded, i)
		}
	}()
	await(t, done, "All to panic after a fetch panicked")
	msg, _ := got.(string)
	if !strings.Contains(msg, "fetch: a fetch panicked: boom at item 7") || !strings.Contains(msg, "TestAllPanic") {
		t.Fatalf("All's loop recovered %#v, want the fetch's panic with the task's stack", got)
	}
	for _, i := range yielded {
		if i >= 7 {
			t.Errorf("All yielded URL %d, after the one that panicked", i)
		}
	}
}
