package fetch_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"iter"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch05-workstealing/schedtest"
	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// stallLimit is how long a watchdog lets a test make no progress.
const stallLimit = reactortest.StallLimit

// newRT returns a runtime of n workers that is shut down when t ends.
func newRT(t testing.TB, n int) *sched.Runtime {
	t.Helper()
	return schedtest.New(t, n, sched.New)
}

// newClient returns a Client on a new runtime of n workers. Its idle
// connections are closed when t ends, before the runtime shuts down.
func newClient(t testing.TB, n int) (*sched.Runtime, *fetch.Client) {
	t.Helper()
	rt := newRT(t, n)
	c := fetch.New(rt)
	t.Cleanup(c.CloseIdle)
	return rt, c
}

// getting is a Get under way on its own goroutine.
type getting struct {
	done chan struct{}
	resp *fetch.Response
	err  error // the Get's error
	task error // the task's own error (a panic, a shutdown)
	url  string
}

// startGet starts c.Get(url) on rt and returns at once.
func startGet(rt *sched.Runtime, c *fetch.Client, url string) *getting {
	g := &getting{done: make(chan struct{}), url: url}
	go func() {
		defer close(g.done)
		var r future.Result[*fetch.Response]
		r, g.task = sched.BlockOn(rt, c.Get(url))
		g.resp, g.err = r.Value, r.Err
	}()
	return g
}

// wait waits, under a watchdog, for the Get to end, and returns its
// response or error. A task that panicked fails the test.
func (g *getting) wait(t testing.TB) (*fetch.Response, error) {
	t.Helper()
	reactortest.Await(t, g.done, nil, "Get "+g.url)
	if g.task != nil {
		t.Fatalf("the task of Get %s failed: %v", g.url, g.task)
	}
	if (g.resp == nil) == (g.err == nil) {
		t.Fatalf("Get %s: response %v and error %v: want exactly one", g.url, g.resp, g.err)
	}
	return g.resp, g.err
}

// get fetches url with c under a watchdog.
func get(t testing.TB, rt *sched.Runtime, c *fetch.Client, url string) (*fetch.Response, error) {
	t.Helper()
	return startGet(rt, c, url).wait(t)
}

// mustGet is get for a fetch that must succeed.
func mustGet(t testing.TB, rt *sched.Runtime, c *fetch.Client, url string) *fetch.Response {
	t.Helper()
	r, err := get(t, rt, c, url)
	if err != nil {
		t.Fatalf("Get %s: %v", url, err)
	}
	return r
}

// urlError checks that err is a *url.Error for Get of rawURL, and
// returns it.
func urlError(t testing.TB, err error, rawURL string) *url.Error {
	t.Helper()
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("Get %s: error %v (%T), want a *url.Error", rawURL, err, err)
	}
	if ue.Op != "Get" || ue.URL != rawURL {
		t.Errorf("Get %s: url.Error{Op: %q, URL: %q}, want Op \"Get\" and the URL as given", rawURL, ue.Op, ue.URL)
	}
	return ue
}

// A rawServer is a TCP server, written with package net, that runs a
// handler of the test's on each connection, so the test controls every
// byte of the response. It counts the connections it accepts.
type rawServer struct {
	url     string // http://127.0.0.1:port
	addr    string // 127.0.0.1:port
	accepts atomic.Int64
	ln      net.Listener
	mu      sync.Mutex
	conns   map[net.Conn]bool
	wg      sync.WaitGroup
	stop    chan struct{} // closed when the test ends: handlers that wait give up
}

// serveRaw starts a rawServer that runs handle on every connection it
// accepts, each on a goroutine of its own. When t ends it closes the
// listener and every connection still open, and waits for the handlers.
func serveRaw(t testing.TB, handle func(s *rawServer, c net.Conn, br *bufio.Reader)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{
		addr: ln.Addr().String(), ln: ln,
		conns: map[net.Conn]bool{}, stop: make(chan struct{}),
	}
	s.url = "http://" + s.addr
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepts.Add(1)
			s.mu.Lock()
			s.conns[c] = true
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer func() {
					s.mu.Lock()
					delete(s.conns, c)
					s.mu.Unlock()
					c.Close()
				}()
				handle(s, c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() {
		close(s.stop)
		ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		done := make(chan struct{})
		go func() { s.wg.Wait(); close(done) }()
		reactortest.Await(t, done, nil, "the raw server's handlers to end")
	})
	return s
}

// readRequest reads one request from br, with its raw header bytes.
func readRequest(br *bufio.Reader) (*http.Request, []byte, error) {
	var raw bytes.Buffer
	for {
		line, err := br.ReadSlice('\n')
		raw.Write(line)
		if err != nil {
			return nil, raw.Bytes(), err
		}
		if len(line) <= 2 && strings.TrimRight(string(line), "\r\n") == "" {
			break
		}
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw.Bytes())))
	return req, raw.Bytes(), err
}

// respond returns a handler that answers one request with raw and
// closes the connection.
func respond(raw string) func(*rawServer, net.Conn, *bufio.Reader) {
	return func(s *rawServer, c net.Conn, br *bufio.Reader) {
		if _, _, err := readRequest(br); err != nil {
			return
		}
		io.WriteString(c, raw)
	}
}

// keepAlive returns a handler that answers every request on a
// connection with raw, until the client closes it.
func keepAlive(raw string) func(*rawServer, net.Conn, *bufio.Reader) {
	return func(s *rawServer, c net.Conn, br *bufio.Reader) {
		for {
			if _, _, err := readRequest(br); err != nil {
				return
			}
			if _, err := io.WriteString(c, raw); err != nil {
				return
			}
		}
	}
}

// hang returns a handler that reads a request, writes prefix, and then
// neither writes nor closes until the peer closes or the test ends.
// It sends on gone (if not nil) when the peer has closed.
func hang(prefix string, gone chan<- struct{}) func(*rawServer, net.Conn, *bufio.Reader) {
	return func(s *rawServer, c net.Conn, br *bufio.Reader) {
		if _, _, err := readRequest(br); err != nil {
			return
		}
		io.WriteString(c, prefix)
		s.waitClose(br, gone)
	}
}

// waitClose reads and drops what the peer sends until it closes, then
// sends on gone (if not nil); or returns when the test ends.
func (s *rawServer) waitClose(br *bufio.Reader, gone chan<- struct{}) {
	closed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, br) // returns when the client closes, or the server does
		close(closed)
	}()
	select {
	case <-closed:
		if gone != nil {
			gone <- struct{}{}
		}
	case <-s.stop:
	}
}

// await waits, under a watchdog, for ch to deliver.
func await[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(stallLimit):
		t.Fatalf("no sign after %v: %s", stallLimit, what)
		var zero T
		return zero
	}
}

// collected is one (index, Result) that All yielded.
type collected struct {
	i int
	r fetch.Result
}

// collect ranges over seq on a goroutine of its own, under a watchdog
// whose measure of progress is the number of results so far, until seq
// ends or stop (nil: never) says to break. It returns what it saw.
func collect(t testing.TB, seq iter.Seq2[int, fetch.Result], stop func(i int, r fetch.Result) bool) []collected {
	t.Helper()
	var (
		n    atomic.Int64
		out  []collected
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		for i, r := range seq {
			out = append(out, collected{i, r})
			n.Add(1)
			if stop != nil && stop(i, r) {
				break
			}
		}
	}()
	reactortest.Await(t, done, n.Load, "the loop over All")
	return out
}

// TestSuiteInNetpoller runs the package's tests again with every
// runtime's reactor sleeping in Go's netpoller.
func TestSuiteInNetpoller(t *testing.T) { reactortest.SuiteInNetpoller(t) }
