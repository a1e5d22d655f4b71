package fetch_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// TestAllKeepsNoYieldedBody fetches 48 bodies of 512 KiB (24 MiB in
// all) and, as the last one is yielded, when every other has been
// yielded and dropped by the loop, measures the live heap after a
// collection: All may hold the body being yielded, not the 47 before.
// An All that kept every result until it returned held all 24 MiB.
func TestAllKeepsNoYieldedBody(t *testing.T) {
	const n, size = 48, 512 << 10
	body := []byte(strings.Repeat("x", size))
	srv := httptest.NewServer(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	t.Cleanup(srv.Close)
	_, c := newClient(t, 2)
	urls := make([]string, n)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/big/%d", srv.URL, i)
	}
	heap := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	var after uint64
	var got atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, r := range c.All(urls, 4, time.Time{}) {
			if r.Err != nil || len(r.Response.Body) != size {
				t.Errorf("URL %d: %v", i, r.Err)
			}
			if i == n-1 {
				after = heap()
			}
			got.Add(1)
		}
	}()
	reactortest.Await(t, done, got.Load, "the loop over All")
	const bound = 8 << 20 // the body yielded now, and room for noise
	if after > before+bound {
		t.Errorf("live heap grew by %d KiB over %d fetches of %d KiB: "+
			"more than %d KiB, so All holds bodies it has yielded",
			(after-before)>>10, n, size>>10, bound>>10)
	}
}

// wantShutdown checks that got has one result for each of urls, in
// order, and that the ones from index from on ended with ErrShutdown.
func wantShutdown(t *testing.T, urls []string, got []collected, from int) {
	t.Helper()
	if len(got) != len(urls) {
		t.Fatalf("All yielded %d results for %d URLs", len(got), len(urls))
	}
	for k, c := range got[from:] {
		k += from
		if c.i != k || c.r.URL != urls[k] {
			t.Errorf("result %d is %d, %q", k, c.i, c.r.URL)
		}
		if !errors.Is(c.r.Err, sched.ErrShutdown) {
			t.Errorf("result %d: %v, want %v", k, c.r.Err, sched.ErrShutdown)
		}
		urlError(t, c.r.Err, urls[k])
	}
}

// TestAllAfterShutdown calls All on a runtime already shut down: its
// tasks never run, so every URL ends with ErrShutdown, and All returns,
// where it used to wait for ever for results nobody would send.
func TestAllAfterShutdown(t *testing.T) {
	s := newItemServer(t, false)
	rt, c := newClient(t, 2)
	if err := rt.Shutdown(); err != nil {
		t.Fatal(err)
	}
	urls := s.items(10)
	wantShutdown(t, urls, collect(t, c.All(urls, 3, time.Time{}), nil), 0)
}

// TestAllShutdownDuring shuts the runtime down from the loop, after the
// first result, while the other fetches hang or wait their turn: the
// loop gets a result for every URL (ErrShutdown), and returns.
func TestAllShutdownDuring(t *testing.T) {
	s := newItemServer(t, false)
	rt, c := newClient(t, 2)
	urls := []string{s.URL + "/item/0"}
	for range 12 {
		urls = append(urls, s.URL+"/hang")
	}
	got := collect(t, c.All(urls, 4, time.Time{}),
		func(i int, r fetch.Result) bool {
			if i == 0 {
				rt.Shutdown()
			}
			return false
		})
	if got[0].r.Err != nil {
		t.Errorf("result 0: %v", got[0].r.Err)
	}
	wantShutdown(t, urls, got, 1)
}

// TestAllPanicClosesConnection makes a fetch panic while its request
// hangs on an open connection, and recovers from All's panic, as a
// caller that goes on would: the connection is closed (the server sees
// it go) and no descriptor is left open. All used to drop the fetch
// without cancelling it, leaving its connection open for good.
func TestAllPanicClosesConnection(t *testing.T) {
	s := newItemServer(t, false)
	_, c := newClient(t, 2)
	fds, fdsOK := reactortest.OpenFDs()
	urls := append(s.items(3), s.URL+"/hang")
	fetch.SetTestHookPending(func(u string) {
		if strings.HasSuffix(u, "/hang") {
			panic("boom while hanging")
		}
	})
	t.Cleanup(func() { fetch.SetTestHookPending(nil) })
	done := make(chan any)
	go func() {
		defer func() { done <- recover() }()
		for range c.All(urls, 4, time.Time{}) {
		}
	}()
	if v := await(t, done, "All to panic"); v == nil {
		t.Fatal("All returned without the fetch's panic")
	}
	waitFor(t, func() bool { return s.hanging.Load() == 0 },
		"the server to see the panicked fetch's connection close")
	c.CloseIdle()
	if fdsOK {
		reactortest.FDsBack(t, fds)
	}
}
