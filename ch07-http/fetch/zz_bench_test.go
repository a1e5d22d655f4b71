package fetch

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

func BenchmarkScratch(b *testing.B) {
	body := `{"id":1,"title":"` + strings.Repeat("x", 1000) + `"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	defer srv.Close()
	var urls []string
	for i := range 1000 {
		urls = append(urls, fmt.Sprintf("%s/todos/%d", srv.URL, i))
	}
	rt, _ := sched.New(benchWorkers)
	defer rt.Shutdown()
	if os.Getenv("NP") != "" {
		rt.Reactor().UseNetpoller()
	}
	for _, c := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("c=%d/book", c), func(b *testing.B) {
			cl := New(rt)
			for b.Loop() {
				for _, r := range cl.All(urls, c, time.Time{}) {
					if r.Err != nil {
						b.Fatal(r.Err)
					}
				}
			}
			cl.CloseIdle()
		})
		b.Run(fmt.Sprintf("c=%d/std", c), func(b *testing.B) {
			tr := &http.Transport{MaxIdleConnsPerHost: c}
			cl := &http.Client{Transport: tr}
			for b.Loop() {
				var g errgroup.Group
				g.SetLimit(c)
				for _, u := range urls {
					g.Go(func() error {
						resp, err := cl.Get(u)
						if err != nil {
							return err
						}
						_, err = io.ReadAll(resp.Body)
						resp.Body.Close()
						return err
					})
				}
				if err := g.Wait(); err != nil {
					b.Fatal(err)
				}
			}
			tr.CloseIdleConnections()
		})
	}
}

var benchWorkers = 0

func init() {
	if s := os.Getenv("W"); s != "" {
		benchWorkers, _ = strconv.Atoi(s)
	}
}
