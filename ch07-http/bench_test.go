package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// benchURLs is how many URLs one iteration of BenchmarkFetch fetches.
const benchURLs = 1000

// benchBody is the benchmark server's answer: a todo padded to 1 KiB of
// JSON.
var benchBody = func() []byte {
	v := todo{ID: 1, Title: "fetch ten todos at once"}
	b, _ := json.Marshal(struct {
		todo
		Notes string `json:"notes"`
	}{v, ""})
	b, _ = json.Marshal(struct {
		todo
		Notes string `json:"notes"`
	}{v, strings.Repeat("n", 1024-len(b))})
	return b
}()

// serveBench is the benchmark server's one handler.
func serveBench(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(benchBody)))
	w.Write(benchBody)
}

// benchServerEnv names an environment variable: set to a URL such as
// http://127.0.0.1:18090, BenchmarkFetch fetches from the server there
// instead of one in its own process. TestBenchServer is that server.
const benchServerEnv = "CH07_BENCH_SERVER"

// benchServeEnv names an environment variable: set to an address,
// TestBenchServer serves the benchmark's answer there until the process
// is killed. So the server can run in a process (and on a CPU) of its own:
//
//	CH07_BENCH_SERVE=127.0.0.1:18090 taskset -c 0 ./ch07-http.test -test.run TestBenchServer &
//	CH07_BENCH_SERVER=http://127.0.0.1:18090 taskset -c 1 ./ch07-http.test -test.run '^$' -test.bench Fetch
const benchServeEnv = "CH07_BENCH_SERVE"

// TestBenchServer is BenchmarkFetch's server in a process of its own,
// when benchServeEnv says where; otherwise it does nothing.
func TestBenchServer(t *testing.T) {
	addr := os.Getenv(benchServeEnv)
	if addr == "" {
		t.Skip(benchServeEnv + " is not set: no benchmark server to run")
	}
	t.Fatal(http.ListenAndServe(addr, http.HandlerFunc(serveBench)))
}

// BenchmarkFetch fetches 1,000 URLs of a 1 KiB JSON answer from one
// local net/http server, with the book's client (book; kernel: with
// -netpoller=false) and with net/http (std), at -c 1, 10 and 100: the
// program's fetchers, as the program drives them (results in input
// order, on the benchmark's goroutine), each keeping its connections
// from one iteration to the next. The clients alternate within each
// concurrency level, so that all meet the machine in the same state.
// ms/1000urls is the time of one iteration.
//
//	go test -run '^$' -bench Fetch -benchtime 20x ./ch07-http
func BenchmarkFetch(b *testing.B) {
	if len(benchBody) != 1024 {
		b.Fatalf("the body is %d bytes, want 1024", len(benchBody))
	}
	base := os.Getenv(benchServerEnv)
	if base == "" {
		srv := httptest.NewServer(http.HandlerFunc(serveBench))
		defer srv.Close()
		base = srv.URL
	}
	urls := make([]string, benchURLs)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/todos/%d", base, i)
	}
	for _, c := range []int{1, 10, 100} {
		for _, client := range clients {
			b.Run(fmt.Sprintf("c=%d/%s", c, client.name), func(b *testing.B) {
				if !isStd(client.flags) {
					needReactor(b)
				}
				f := newTestFetcher(b, client.flags, config{c: c})
				for b.Loop() {
					f.fetch(urls, func(i int, r fetch.Result) bool {
						if r.Err != nil {
							b.Fatalf("%s: %v", r.URL, r.Err)
						}
						if len(r.Response.Body) != len(benchBody) {
							b.Fatalf("%s: %d bytes, want %d", r.URL, len(r.Response.Body), len(benchBody))
						}
						return true
					})
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/1000urls")
			})
		}
	}
}
