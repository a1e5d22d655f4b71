package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
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
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(benchBody)))
		w.Write(benchBody)
	}))
	defer srv.Close()
	urls := make([]string, benchURLs)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/todos/%d", srv.URL, i)
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
