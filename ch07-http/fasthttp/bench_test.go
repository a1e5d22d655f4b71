// Package fasthttpbench measures chapter 7's client against net/http's and
// against fasthttp's, the fastest HTTP/1.1 client for Go, in one run. It
// is a module of its own so that the book's module does not depend on
// fasthttp; `go test ./...` at the book's root does not enter it.
//
//	cd ch07-http/fasthttp && go test -run '^$' -bench . -count 10
package fasthttpbench

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/sync/errgroup"

	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// body is the server's answer: 1 KiB of JSON, as in ch07-http's own
// BenchmarkFetch.
var body = `{"id":1,"title":"fetch ten todos at once","notes":"` + strings.Repeat("n", 1024-53) + `"}`

// BenchmarkFetch fetches 1,000 URLs from one local net/http server at
// -c 1, 10 and 100 with three clients: the book's (its runtime asleep in
// Go's netpoller), net/http's Client with errgroup.SetLimit, and
// fasthttp's Client with errgroup.SetLimit. Each keeps up to c
// connections between iterations. ms/1000urls is one iteration.
//
// With CH07_BENCH_SERVER set to a base URL, it fetches from that server
// instead of one in its own process: ch07-http's TestBenchServer (see
// its bench_test.go), whose answers are 1 KiB as well.
func BenchmarkFetch(b *testing.B) {
	if len(body) != 1024 {
		b.Fatalf("the body is %d bytes, want 1024", len(body))
	}
	base := os.Getenv("CH07_BENCH_SERVER")
	if base == "" {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			io.WriteString(w, body)
		}))
		defer srv.Close()
		base = srv.URL
	}
	urls := make([]string, 1000)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/todos/%d", base, i)
	}
	rt, err := sched.New(0)
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Shutdown()
	if err := rt.Reactor().UseNetpoller(); err != nil {
		b.Fatal(err)
	}
	for _, c := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("c=%d/book", c), func(b *testing.B) {
			cl := fetch.New(rt)
			defer cl.CloseIdle()
			for b.Loop() {
				for _, r := range cl.All(urls, c, time.Time{}) {
					check(b, r.Err, r.Response.Body)
				}
			}
			report(b)
		})
		b.Run(fmt.Sprintf("c=%d/std", c), func(b *testing.B) {
			tr := &http.Transport{MaxIdleConnsPerHost: c}
			defer tr.CloseIdleConnections()
			cl := &http.Client{Transport: tr}
			for b.Loop() {
				eachURL(b, urls, c, func(u string) error {
					resp, err := cl.Get(u)
					if err != nil {
						return err
					}
					defer resp.Body.Close()
					got, err := io.ReadAll(resp.Body)
					check(b, err, got)
					return nil
				})
			}
			report(b)
		})
		b.Run(fmt.Sprintf("c=%d/fasthttp", c), func(b *testing.B) {
			cl := &fasthttp.Client{MaxConnsPerHost: c}
			defer cl.CloseIdleConnections()
			for b.Loop() {
				eachURL(b, urls, c, func(u string) error {
					_, got, err := cl.Get(nil, u)
					check(b, err, got)
					return nil
				})
			}
			report(b)
		})
	}
}

// eachURL calls get for every URL, at most c at once.
func eachURL(b *testing.B, urls []string, c int, get func(string) error) {
	var g errgroup.Group
	g.SetLimit(c)
	for _, u := range urls {
		g.Go(func() error { return get(u) })
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
}

// check stops the benchmark if a fetch failed or got a body of the wrong
// size.
func check(b *testing.B, err error, got []byte) {
	if err != nil {
		b.Fatal(err)
	}
	if len(got) != len(body) {
		b.Fatalf("got %d bytes, want %d", len(got), len(body))
	}
}

// report adds the time of one iteration, in ms per 1,000 URLs.
func report(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/1000urls")
}
