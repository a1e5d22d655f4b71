//go:build linux || darwin || freebsd || netbsd || openbsd

package answers

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// site serves pages whose links are given by path; a path not in it is
// a 404. It counts the requests for each path, and the most at once.
func site(t *testing.T, pages map[string][]string) (*httptest.Server, *counter) {
	cnt := &counter{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cnt.enter(r.URL.RequestURI())
		defer cnt.leave()
		links, ok := pages[r.URL.RequestURI()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<html><body>\n")
		for _, l := range links {
			fmt.Fprintf(w, "<a class=\"x\" href=\"%s\">%s</a>\n", l, l)
		}
		fmt.Fprint(w, "</body></html>\n")
	}))
	t.Cleanup(srv.Close)
	return srv, cnt
}

// TestCrawl crawls a small site, three links deep: relative and
// absolute links, a fragment, a query, a cycle back to the start, a
// 404, a link to another host (not followed), and a chain of pages that
// goes on past the depth. Every page within three links is fetched
// exactly once, and none beyond.
func TestCrawl(t *testing.T) {
	rt, c := newClient(t)
	pages := map[string][]string{
		"/":        {"/a", "b", "b#top", "/c?x=1", "http://other.invalid/x"},
		"/a":       {"../", "d", "/a"},
		"/b":       {"/a", "/e"}, // /e is a 404
		"/c?x=1":   {"/c?x=2"},
		"/d":       {"/deep/1"},
		"/c?x=2":   {},
		"/deep/1":  {"/deep/2"},
		"/deep/2":  {"/deep/3"},
		"/unknown": {},
	}
	srv, cnt := site(t, pages)
	got := call(t, func() map[string]fetchResult { return resultsOf(Crawl(rt, c, srv.URL+"/", 3, 4)) })
	want := map[string]int{"/": 200, "/a": 200, "/b": 200, "/c?x=1": 200,
		"/d": 200, "/e": 404, "/c?x=2": 200, "/deep/1": 200}
	for path, code := range want {
		if r, ok := got[srv.URL+path]; !ok || r.code != code {
			t.Errorf("%s: %+v, want %d", path, r, code)
		}
		if n, _ := cnt.get(path); n != 1 {
			t.Errorf("%s fetched %d times, want once", path, n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("crawled %d pages, want %d: %v", len(got), len(want), got)
	}
	for _, path := range []string{"/deep/2", "/unknown"} {
		if n, _ := cnt.get(path); n != 0 {
			t.Errorf("%s fetched %d times, want never", path, n)
		}
	}
}

// TestCrawlMany crawls 300 pages, each linking to three others, eight
// at a time: each page is fetched once, and never more than eight at
// once. Run it a few times with -race: the end of the crawl, when the
// last fetches finish while other tasks wait, is where it could go wrong.
func TestCrawlMany(t *testing.T) {
	const n = 300
	pages := make(map[string][]string)
	for i := range n {
		p := "/p/" + strconv.Itoa(i)
		pages[p] = []string{"/p/" + strconv.Itoa((i+1)%n),
			"/p/" + strconv.Itoa((i*7+3)%n), "./" + strconv.Itoa((i*13+5)%n)}
	}
	for round := range 5 {
		rt, c := newClient(t)
		srv, cnt := site(t, pages)
		got := call(t, func() map[string]fetchResult { return resultsOf(Crawl(rt, c, srv.URL+"/p/0", n, 8)) })
		if len(got) != n {
			t.Fatalf("round %d: crawled %d pages, want %d", round, len(got), n)
		}
		for p := range pages {
			if hits, _ := cnt.get(p); hits != 1 || got[srv.URL+p].code != 200 {
				t.Fatalf("round %d: %s fetched %d times, %+v", round, p, hits, got[srv.URL+p])
			}
		}
		if _, most := cnt.get(""); most > 8 {
			t.Errorf("round %d: %d requests at once, want at most 8", round, most)
		}
	}
}

// fetchResult is what a test needs of a fetch.Result: the status, or
// the error.
type fetchResult struct {
	code int
	err  string
}

// resultsOf turns Crawl's results into fetchResults, for the tests to
// compare.
func resultsOf(rs map[string]fetch.Result) map[string]fetchResult {
	out := make(map[string]fetchResult)
	for u, r := range rs {
		if r.Err != nil {
			out[u] = fetchResult{err: r.Err.Error()}
		} else {
			out[u] = fetchResult{code: r.Response.StatusCode}
		}
	}
	return out
}
