package fetch_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// TestGetLongBodyLaterRead is TestGetLongBody with the response sized so
// that a read buffer of a power of two from 512 bytes to 32 KiB ends
// exactly at its end: the bytes past the Content-Length are then not in
// the read that finished the response, but still wait in the kernel.
// They are not the next response either.
func TestGetLongBodyLaterRead(t *testing.T) {
	const stale = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale"
	for size := 512; size <= 32<<10; size *= 2 { // up to 32 KiB, so that the response and what follows it go in one segment
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			head := "HTTP/1.1 200 OK\r\nContent-Length: "
			body := strings.Repeat("b", size-len(head)-len("NNNNN\r\n\r\n"))
			first := fmt.Sprintf("%s%05d\r\n\r\n%s", head, len(body), body)
			if len(first) != size {
				t.Fatalf("response of %d bytes, want %d", len(first), size)
			}
			var served atomic.Int64
			srv := serveRaw(t, func(s *rawServer, c net.Conn, br *bufio.Reader) {
				for {
					if _, _, err := readRequest(br); err != nil {
						return
					}
					reply := "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh"
					if served.Add(1) == 1 {
						reply = first + stale
					}
					if _, err := io.WriteString(c, reply); err != nil {
						return
					}
				}
			})
			rt, c := newClient(t, 2)
			if r := mustGet(t, rt, c, srv.url+"/1"); string(r.Body) != body {
				t.Fatalf("Get 1: body of %d bytes, want %d", len(r.Body), len(body))
			}
			r := mustGet(t, rt, c, srv.url+"/2")
			if string(r.Body) != "fresh" {
				t.Errorf("Get 2: body %q, want \"fresh\": the client kept a connection with bytes past its response unread, and took them for the next response", r.Body)
			}
		})
	}
}

// TestGetIPv6 fetches from an IPv6 loopback literal.
func TestGetIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	hosts := make(chan string, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hosts <- r.Host
		fmt.Fprint(w, "six")
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	rt, c := newClient(t, 2)
	u := "http://" + ln.Addr().String() + "/v6"
	if r := mustGet(t, rt, c, u); string(r.Body) != "six" {
		t.Errorf("body %q", r.Body)
	}
	if h := <-hosts; h != ln.Addr().String() {
		t.Errorf("Host %q, want %q", h, ln.Addr())
	}
}

// TestDialNextAddress checks that when the first address a name resolves
// to refuses, the client dials the next.
func TestDialNextAddress(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs 127.0.0.2 to be a loopback address where nothing listens, as on Linux")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "second address")
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	rt, c := newClient(t, 2)
	c.Resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.1")}, nil
	}
	if r := mustGet(t, rt, c, fmt.Sprintf("http://two.test:%d/", port)); string(r.Body) != "second address" {
		t.Errorf("body %q", r.Body)
	}
}

// TestRedirectWithoutLocation checks that a 3xx without a Location is
// returned as it is.
func TestRedirectWithoutLocation(t *testing.T) {
	srv := serveRaw(t, keepAlive("HTTP/1.1 302 Found\r\nContent-Length: 4\r\n\r\nlost"))
	rt, c := newClient(t, 2)
	r := mustGet(t, rt, c, srv.url+"/nowhere")
	if r.StatusCode != 302 || string(r.Body) != "lost" || r.Redirects != 0 {
		t.Errorf("got %d %q after %d redirects, want the 302 as is", r.StatusCode, r.Body, r.Redirects)
	}
}

// TestMaxIdlePerHost checks that no connection is kept with
// MaxIdlePerHost 0, and at most MaxIdlePerHost are kept otherwise.
func TestMaxIdlePerHost(t *testing.T) {
	var (
		gate    = make(chan struct{})
		arrived = make(chan struct{}, 3)
	)
	srv, n := countConns(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/together" {
			select {
			case arrived <- struct{}{}:
			case <-t.Context().Done():
			}
			select { // until all three are in, so that they need three connections
			case <-gate:
			case <-t.Context().Done():
			}
		}
		fmt.Fprint(w, "ok")
	}))
	srv.Start()
	t.Cleanup(srv.Close) // after t.Context is done, which frees the handlers
	rt, c := newClient(t, 2)
	c.MaxIdlePerHost = 0
	for range 3 {
		mustGet(t, rt, c, srv.URL+"/")
	}
	if got := n.opened.Load(); got != 3 {
		t.Errorf("MaxIdlePerHost 0: 3 Gets opened %d connections, want 3", got)
	}
	for range 3 {
		await(t, n.closedCh, "the client to close a connection it may not keep")
	}

	// Three Gets held at the server at once use three connections; with
	// MaxIdlePerHost 2, two are kept after and the third is closed.
	c.MaxIdlePerHost = 2
	var gs []*getting
	for _, p := range []string{"/together", "/together", "/together"} {
		gs = append(gs, startGet(rt, c, srv.URL+p))
	}
	for range 3 {
		await(t, arrived, "three Gets to be at the server at once")
	}
	close(gate)
	for _, g := range gs {
		if _, err := g.wait(t); err != nil {
			t.Fatal(err)
		}
	}
	await(t, n.closedCh, "the client to close the connection over MaxIdlePerHost")
	for range 4 {
		mustGet(t, rt, c, srv.URL+"/again")
	}
	if got := n.opened.Load(); got != 6 {
		t.Errorf("%d connections opened in all, want 3 + 3: Gets after the pool was filled should reuse it", got)
	}
	if got := n.closed.Load(); got != 4 {
		t.Errorf("%d connections closed, want 4 (all but the 2 kept)", got)
	}
}

// TestTimeoutIsNetTimeout checks that the timeout errors say so through
// url.Error's Timeout, as net/http's do.
func TestTimeoutIsNetTimeout(t *testing.T) {
	srv := serveRaw(t, hang("", nil))
	rt, c := newClient(t, 2)
	c.Timeout = 50 * time.Millisecond
	_, err := get(t, rt, c, srv.url+"/")
	if ue := urlError(t, err, srv.url+"/"); !ue.Timeout() || !errors.Is(err, fetch.ErrTimeout) {
		t.Errorf("%v: Timeout() = %v, want true", err, ue.Timeout())
	}
}

// TestGetCancelled runs two Gets in one task with TryJoin: when one fails,
// TryJoin cancels the other, which must close its connection.
func TestGetCancelled(t *testing.T) {
	ready, gone := make(chan struct{}), make(chan struct{}, 4)
	var once sync.Once
	hung := serveRaw(t, func(s *rawServer, c net.Conn, br *bufio.Reader) {
		if _, _, err := readRequest(br); err != nil {
			return
		}
		once.Do(func() { close(ready) })
		s.waitClose(br, gone)
	})
	bad := serveRaw(t, func(s *rawServer, c net.Conn, br *bufio.Reader) {
		if _, _, err := readRequest(br); err != nil {
			return
		}
		select {
		case <-ready: // fail only once the other Get is waiting for its answer
		case <-s.stop:
			return
		}
		io.WriteString(c, "HTTP/1.1 2OO OK\r\n\r\n")
	})
	rt, c := newClient(t, 2)
	done := make(chan error, 1)
	go func() {
		r, err := sched.BlockOn(rt, future.TryJoin(c.Get(hung.url+"/hang"), c.Get(bad.url+"/bad")))
		if err == nil {
			err = r.Err
		}
		done <- err
	}()
	err := await(t, done, "TryJoin to fail")
	var ue *url.Error
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "malformed status line") {
		t.Fatalf("TryJoin: %v, want the malformed status line's *url.Error", err)
	}
	await(t, gone, "the cancelled Get to close its connection")
}

// TestAllDeadlinePassed checks that a deadline already passed fetches
// nothing and ends every URL with ErrDeadline.
func TestAllDeadlinePassed(t *testing.T) {
	s := newItemServer(t, false)
	_, c := newClient(t, 2)
	urls := s.items(20)
	got := collect(t, c.All(urls, 4, time.Now().Add(-time.Second)), nil)
	if len(got) != len(urls) {
		t.Fatalf("%d results for %d URLs", len(got), len(urls))
	}
	for k, g := range got {
		if g.i != k || !errors.Is(g.r.Err, fetch.ErrDeadline) {
			t.Errorf("result %d: index %d, %v; want ErrDeadline", k, g.i, g.r.Err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.hits) != 0 {
		t.Errorf("the server was asked for %v after the deadline", s.hits)
	}
}

// TestResolvePanics checks that a Resolve that panics fails its Get with
// the panic as its error, and takes nothing else down.
func TestResolvePanics(t *testing.T) {
	srv := serveRaw(t, keepAlive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	rt, c := newClient(t, 2)
	c.Resolve = func(ctx context.Context, host string) ([]netip.Addr, error) { panic("the resolver exploded") }
	u := "http://boom.test/"
	_, err := get(t, rt, c, u)
	var pe *executor.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("Get %s: %v (%T), want the panic as a *executor.PanicError", u, err, err)
	}
	urlError(t, err, u)
	if r := mustGet(t, rt, c, srv.url+"/"); string(r.Body) != "ok" {
		t.Errorf("a Get after the panic: body %q", r.Body)
	}
}

// TestNoRetryAfterPartialAnswer checks the other half of the retry rule:
// a kept connection that fails after the first byte of the answer is
// not the server closing an idle connection, since the server answered;
// the Get fails, and the request is not sent again. The server answers
// the first request whole on a kept connection, the second with half a
// response and a close, and any later request (a retry) whole.
func TestNoRetryAfterPartialAnswer(t *testing.T) {
	var requests atomic.Int64
	srv := serveRaw(t, func(s *rawServer, c net.Conn, br *bufio.Reader) {
		for {
			if _, _, err := readRequest(br); err != nil {
				return
			}
			if requests.Add(1) == 2 {
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
				return
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	rt, c := newClient(t, 2)
	mustGet(t, rt, c, srv.url+"/")
	r, err := get(t, rt, c, srv.url+"/")
	if err == nil {
		t.Fatalf("a Get cut short after its first bytes was retried: body %q", r.Body)
	}
	if !strings.Contains(err.Error(), "body ended after 4 of 10 bytes") {
		t.Errorf("Get: %v, want the body cut short", err)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("the server saw %d requests, want 2: no retry", n)
	}
}
