package fetch_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// TestDefaults checks the Client that New returns against the defaults
// its documentation promises.
func TestDefaults(t *testing.T) {
	_, c := newClient(t, 1)
	if c.UserAgent != "asyncbook-fetch/1.0" || c.MaxRedirects != 10 || c.MaxHeaderBytes != 64<<10 ||
		c.MaxBodyBytes != 10<<20 || c.ConnectTimeout != 10*time.Second || c.Timeout != 0 ||
		c.MaxIdlePerHost != 100 {
		t.Errorf("New gives UserAgent %q, MaxRedirects %d, MaxHeaderBytes %d, MaxBodyBytes %d, ConnectTimeout %v, Timeout %v, MaxIdlePerHost %d; want the documented defaults",
			c.UserAgent, c.MaxRedirects, c.MaxHeaderBytes, c.MaxBodyBytes, c.ConnectTimeout, c.Timeout, c.MaxIdlePerHost)
	}
}

// TestRequest checks the bytes of the request the client sends: a GET of
// the path and query (never the fragment) over HTTP/1.1, each line ending
// in CRLF, with Host and User-Agent, and no body.
func TestRequest(t *testing.T) {
	reqs := make(chan []byte, 4)
	srv := serveRaw(t, func(s *rawServer, c net.Conn, br *bufio.Reader) {
		_, raw, err := readRequest(br)
		if err != nil {
			return
		}
		reqs <- raw
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	})
	rt, c := newClient(t, 2)
	for _, tc := range []struct{ url, target, agent string }{
		{srv.url + "/a/b?c=d&e=%20f#frag", "/a/b?c=d&e=%20f", ""},
		{srv.url, "/", ""},
		{srv.url + "/x", "/x", "test-agent/2.0"},
	} {
		if tc.agent != "" {
			c.UserAgent = tc.agent
		}
		mustGet(t, rt, c, tc.url)
		raw := string(await(t, reqs, "the request of "+tc.url))
		if want := "GET " + tc.target + " HTTP/1.1\r\n"; !strings.HasPrefix(raw, want) {
			t.Errorf("Get %s sent %q, want it to start %q", tc.url, raw, want)
		}
		if strings.Count(raw, "\n") != strings.Count(raw, "\r\n") {
			t.Errorf("Get %s sent %q: a line ends in a bare LF", tc.url, raw)
		}
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			t.Fatalf("Get %s sent %q, which net/http cannot read: %v", tc.url, raw, err)
		}
		agent := tc.agent
		if agent == "" {
			agent = "asyncbook-fetch/1.0"
		}
		if req.Host != srv.addr || req.UserAgent() != agent || req.ContentLength != 0 {
			t.Errorf("Get %s sent Host %q, User-Agent %q, Content-Length %d; want %q, %q, 0",
				tc.url, req.Host, req.UserAgent(), req.ContentLength, srv.addr, agent)
		}
		c.UserAgent = "asyncbook-fetch/1.0"
	}
}

// TestGetJSON fetches a JSON document that net/http's server sends with a
// Content-Length.
func TestGetJSON(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Path", r.URL.Path)
		json.NewEncoder(w).Encode(map[string]any{"id": 1, "title": "delectus aut autem"})
	}))
	defer srv.Close()
	rt, c := newClient(t, 2)
	u := srv.URL + "/todos/1"
	r := mustGet(t, rt, c, u)
	if r.StatusCode != 200 || r.Status != "200 OK" || r.Proto != "HTTP/1.1" {
		t.Errorf("got %s %q, want HTTP/1.1 \"200 OK\"", r.Proto, r.Status)
	}
	if r.URL == nil || r.URL.String() != u || r.Redirects != 0 {
		t.Errorf("URL %v after %d redirects, want %s after 0", r.URL, r.Redirects, u)
	}
	if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Path") != "/todos/1" ||
		r.Header.Get("Content-Length") != fmt.Sprint(len(r.Body)) {
		t.Errorf("header %v, body of %d bytes", r.Header, len(r.Body))
	}
	var todo struct {
		ID    int    `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal(r.Body, &todo); err != nil || todo.ID != 1 || todo.Title != "delectus aut autem" {
		t.Errorf("body %q: %+v, %v", r.Body, todo, err)
	}
	if r.Trailer != nil {
		t.Errorf("Trailer %v, want nil without chunked coding", r.Trailer)
	}
}

// TestGetStatuses checks that 4xx and 5xx are responses, not errors.
func TestGetStatuses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var code int
		fmt.Sscan(strings.TrimPrefix(r.URL.Path, "/"), &code)
		w.WriteHeader(code)
		fmt.Fprint(w, "status ", code)
	}))
	defer srv.Close()
	rt, c := newClient(t, 2)
	for _, code := range []int{201, 404, 500, 503} {
		r := mustGet(t, rt, c, fmt.Sprintf("%s/%d", srv.URL, code))
		if r.StatusCode != code || string(r.Body) != fmt.Sprint("status ", code) {
			t.Errorf("/%d: %d %q", code, r.StatusCode, r.Body)
		}
	}
}

// TestGetChunked fetches chunked bodies with chunk extensions and
// trailers, from a raw server and from net/http's.
func TestGetChunked(t *testing.T) {
	raw := serveRaw(t, keepAlive("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum, X-Count\r\n\r\n"+
		"4;name=value\r\nWiki\r\n5;quoted=\"a;b\";flag\r\npedia\r\nA\r\n in chunks\r\n0;last\r\nX-Checksum: abc\r\nX-Count: 3\r\n\r\n"))
	std := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Checksum, X-Count")
		for _, s := range []string{"Wiki", "pedia", " in chunks"} {
			io.WriteString(w, s)
			w.(http.Flusher).Flush()
		}
		w.Header().Set("X-Checksum", "abc")
		w.Header().Set("X-Count", "3")
	}))
	defer std.Close()
	rt, c := newClient(t, 2)
	for _, u := range []string{raw.url + "/raw", std.URL + "/std", raw.url + "/again"} {
		r := mustGet(t, rt, c, u)
		if string(r.Body) != "Wikipedia in chunks" {
			t.Errorf("%s: body %q", u, r.Body)
		}
		want := textproto.MIMEHeader{"X-Checksum": {"abc"}, "X-Count": {"3"}}
		if d := cmp.Diff(want, r.Trailer); d != "" {
			t.Errorf("%s: Trailer (-want +got):\n%s", u, d)
		}
	}
	if n := raw.accepts.Load(); n != 1 {
		t.Errorf("two chunked responses took %d connections, want 1 (kept alive)", n)
	}
}

// TestGetUntilClose fetches bodies that end when the server closes, and
// checks that such a connection is not used again.
func TestGetUntilClose(t *testing.T) {
	for _, proto := range []string{"HTTP/1.1", "HTTP/1.0"} {
		t.Run(proto, func(t *testing.T) {
			body := strings.Repeat("until the close\n", 1000)
			srv := serveRaw(t, respond(proto+" 200 OK\r\nContent-Type: text/plain\r\n\r\n"+body))
			rt, c := newClient(t, 2)
			for range 2 {
				r := mustGet(t, rt, c, srv.url+"/")
				if string(r.Body) != body || r.Proto != proto {
					t.Errorf("%s, body of %d bytes, want %s and %d", r.Proto, len(r.Body), proto, len(body))
				}
			}
			if n := srv.accepts.Load(); n != 2 {
				t.Errorf("two Gets took %d connections, want 2", n)
			}
		})
	}
}

// TestGetMalformed sends responses that break the protocol, and checks
// that each Get ends with a *url.Error whose text names the problem.
func TestGetMalformed(t *testing.T) {
	rt, c := newClient(t, 2)
	for _, tc := range []struct{ name, raw, want string }{
		{"status", "HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n", `malformed status line "HTTP/1.1 2OO OK"`},
		{"no-colon", "HTTP/1.1 200 OK\r\nX-A b\r\nContent-Length: 0\r\n\r\n", "colon"},
		{"chunk-size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhi\r\n0\r\n\r\n", `bad chunk size "zz"`},
		{"short-body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + strings.Repeat("x", 20), "20 of 100"},
		{"short-chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nhi", "EOF"},
		{"two-lengths", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "Content-Length"},
		{"not-http", "SSH-2.0-OpenSSH_9.6\r\n", "malformed status line"},
		{"nothing", "", ""},
		{"cut-in-header", "HTTP/1.1 200 OK\r\nContent-Le", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serveRaw(t, respond(tc.raw))
			u := srv.url + "/" + tc.name
			r, err := get(t, rt, c, u)
			if err == nil {
				t.Fatalf("%q: got %d %q, want an error", tc.raw, r.StatusCode, r.Body)
			}
			urlError(t, err, u)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%q: error %q, want one that says %q", tc.raw, err, tc.want)
			}
		})
	}
}

// TestGetLongBody sends more bytes than the Content-Length says, in one
// write with the response: the extra bytes are not the next response, so
// the connection must not be used again.
func TestGetLongBody(t *testing.T) {
	var n atomic.Int64
	srv := serveRaw(t, func(s *rawServer, c net.Conn, br *bufio.Reader) {
		for {
			if _, _, err := readRequest(br); err != nil {
				return
			}
			k := n.Add(1)
			io.WriteString(c, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nreply%dHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nforgd", k%10))
		}
	})
	rt, c := newClient(t, 2)
	for i := 1; i <= 3; i++ {
		r, err := get(t, rt, c, srv.url+"/")
		if err != nil {
			t.Fatalf("Get %d: %v", i, err)
		}
		if want := fmt.Sprintf("reply%d", i); string(r.Body) != want {
			t.Errorf("Get %d: body %q, want %q: bytes past the Content-Length were read as a response", i, r.Body, want)
		}
	}
	if got := srv.accepts.Load(); got != 3 {
		t.Errorf("3 Gets took %d connections, want 3: a connection with bytes past its response was used again", got)
	}
}

// TestRedirect follows relative and absolute Locations, resolved against
// the URL that answered.
func TestRedirect(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/dir/a", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "b?x=1")
		w.WriteHeader(http.StatusFound)
	})
	mux.HandleFunc("/dir/b", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "../c/d")
		w.WriteHeader(http.StatusMovedPermanently)
	})
	mux.HandleFunc("/c/d", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "/end?from="+r.URL.Path)
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/end", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "end from ", r.URL.Query().Get("from"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	rt, c := newClient(t, 2)
	for _, tc := range []struct {
		path, final, body string
		redirects         int
	}{
		{"/dir/a", "/end?from=/c/d", "end from /c/d", 3},
		{"/dir/b", "/end?from=/c/d", "end from /c/d", 2},
		{"/c/d", "/end?from=/c/d", "end from /c/d", 1},
		{"/end?from=me", "/end?from=me", "end from me", 0},
	} {
		r := mustGet(t, rt, c, srv.URL+tc.path)
		if r.StatusCode != 200 || string(r.Body) != tc.body || r.URL.String() != srv.URL+tc.final || r.Redirects != tc.redirects {
			t.Errorf("%s: %d %q at %v after %d redirects, want 200 %q at %s after %d",
				tc.path, r.StatusCode, r.Body, r.URL, r.Redirects, tc.body, srv.URL+tc.final, tc.redirects)
		}
	}

	c.MaxRedirects = 0
	r := mustGet(t, rt, c, srv.URL+"/dir/a")
	if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "b?x=1" || r.Redirects != 0 ||
		r.URL.String() != srv.URL+"/dir/a" {
		t.Errorf("MaxRedirects 0: %d, Location %q, at %v after %d redirects; want the 302 as is",
			r.StatusCode, r.Header.Get("Location"), r.URL, r.Redirects)
	}
}

// TestRedirectLoop checks that a loop of redirects stops at MaxRedirects
// with an error, having made MaxRedirects+1 requests.
func TestRedirectLoop(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "/loop", http.StatusFound)
	}))
	defer srv.Close()
	rt, c := newClient(t, 2)
	for _, max := range []int{3, 10} {
		hits.Store(0)
		c.MaxRedirects = max
		u := srv.URL + "/loop"
		_, err := get(t, rt, c, u)
		if err == nil {
			t.Fatalf("MaxRedirects %d: a redirect loop ended without an error", max)
		}
		urlError(t, err, u)
		if want := fmt.Sprintf("stopped after %d redirects", max); !strings.Contains(err.Error(), want) {
			t.Errorf("error %q, want one that says %q", err, want)
		}
		if n := hits.Load(); n != int64(max+1) {
			t.Errorf("MaxRedirects %d: %d requests, want %d", max, n, max+1)
		}
	}
}

// TestHTTPS checks that an https URL, given or redirected to, fails with
// ErrHTTPS, before any name is resolved.
func TestHTTPS(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://example.com/secure", http.StatusFound)
	}))
	defer srv.Close()
	rt, c := newClient(t, 2)
	var resolved atomic.Int64
	c.Resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
		resolved.Add(1)
		return nil, errors.New("no resolving in this test")
	}
	for _, u := range []string{"https://example.com/", "HTTPS://example.com:443/x", srv.URL + "/go-secure"} {
		_, err := get(t, rt, c, u)
		if !errors.Is(err, fetch.ErrHTTPS) {
			t.Errorf("Get %s: %v, want ErrHTTPS", u, err)
			continue
		}
		if !strings.Contains(u, "go-secure") {
			urlError(t, err, u) // a redirect's error may name either URL
		}
	}
	if n := resolved.Load(); n != 0 {
		t.Errorf("Resolve called %d times for https URLs", n)
	}
}

// TestBadURL checks that URLs the client cannot fetch fail with a
// *url.Error, without a panic and without a name being resolved.
func TestBadURL(t *testing.T) {
	rt, c := newClient(t, 2)
	var resolved atomic.Int64
	c.Resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
		resolved.Add(1)
		return nil, errors.New("no resolving in this test")
	}
	for _, u := range []string{
		"", "not a url", "://x", "http://[::1", "ftp://127.0.0.1/", "http:///path",
		"127.0.0.1:80/x", "http://127.0.0.1:99999/", "http://127.0.0.1:port/", "mailto:a@b",
	} {
		_, err := get(t, rt, c, u)
		if err == nil {
			t.Errorf("Get %q succeeded", u)
			continue
		}
		if errors.Is(err, fetch.ErrHTTPS) {
			t.Errorf("Get %q: %v, which is not about https", u, err)
		}
		urlError(t, err, u)
	}
	if n := resolved.Load(); n != 0 {
		t.Errorf("Resolve called %d times for URLs that cannot be fetched", n)
	}
}

// TestConnRefused dials a port where nothing listens.
func TestConnRefused(t *testing.T) {
	u := "http://" + refusedAddr(t) + "/"
	rt, c := newClient(t, 2)
	_, err := get(t, rt, c, u)
	if err == nil {
		t.Fatal("Get of a port where nothing listens succeeded")
	}
	urlError(t, err, u)
	if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error %q, want one that says \"connection refused\"", err)
	}
}

// TestTimeout checks that Timeout ends a Get that a server never
// finishes, at every stage, with ErrTimeout, and that the client closes
// the connection instead of keeping it.
func TestTimeout(t *testing.T) {
	for _, tc := range []struct{ name, prefix string }{
		{"no-answer", ""},
		{"status-line-only", "HTTP/1.1 200 OK\r\n"},
		{"body-cut", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf"},
		{"chunk-cut", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gone := make(chan struct{}, 1)
			srv := serveRaw(t, hang(tc.prefix, gone))
			rt, c := newClient(t, 2)
			c.Timeout = 100 * time.Millisecond
			u := srv.url + "/" + tc.name
			_, err := get(t, rt, c, u)
			if !errors.Is(err, fetch.ErrTimeout) {
				t.Fatalf("Get %s: %v, want ErrTimeout", u, err)
			}
			urlError(t, err, u)
			await(t, gone, "the client to close the connection that timed out")
		})
	}
}

// TestTimeoutAcrossRedirects checks that Timeout counts the whole Get,
// redirects included: a redirect to a server that never answers times
// out.
func TestTimeoutAcrossRedirects(t *testing.T) {
	hung := serveRaw(t, hang("", nil))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, hung.url+"/hang", http.StatusFound)
	}))
	defer srv.Close()
	rt, c := newClient(t, 2)
	c.Timeout = 100 * time.Millisecond
	_, err := get(t, rt, c, srv.URL+"/go")
	if !errors.Is(err, fetch.ErrTimeout) {
		t.Fatalf("Get: %v, want ErrTimeout", err)
	}
}

// blockResolve is a Resolve that blocks until the context it is given
// ends, or the test does (so the runtime's blocking pool can stop), and
// closes entered (if not nil) the first time it is called.
func blockResolve(t *testing.T, entered chan struct{}) func(context.Context, string) ([]netip.Addr, error) {
	var once sync.Once
	return func(ctx context.Context, host string) ([]netip.Addr, error) {
		if entered != nil {
			once.Do(func() { close(entered) })
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.Context().Done():
			return nil, errors.New("the test ended")
		}
	}
}

// TestConnectTimeoutResolve checks that ConnectTimeout bounds the dial
// as net.Dialer's Timeout does, name resolution included: a Resolve that
// never returns ends the Get with ErrConnectTimeout.
func TestConnectTimeoutResolve(t *testing.T) {
	rt, c := newClient(t, 2)
	c.ConnectTimeout = 100 * time.Millisecond
	c.Timeout = 5 * time.Second // so that a Resolve that is not bounded fails clearly
	c.Resolve = blockResolve(t, nil)
	u := "http://unresolvable.test/"
	_, err := get(t, rt, c, u)
	if !errors.Is(err, fetch.ErrConnectTimeout) {
		t.Fatalf("Get %s: %v, want ErrConnectTimeout", u, err)
	}
	urlError(t, err, u)
}

// TestConnectTimeout dials a listener whose accept queue is full, so the
// kernel drops the SYN and the connect waits: ConnectTimeout must end it.
func TestConnectTimeout(t *testing.T) {
	addr, drain := fullBacklog(t)
	rt, c := newClient(t, 2)
	c.ConnectTimeout = 100 * time.Millisecond
	c.Timeout = 5 * time.Second // only if the kernel let the connection in after all
	u := "http://" + addr + "/"
	_, err := get(t, rt, c, u)
	if errors.Is(err, fetch.ErrConnectTimeout) {
		urlError(t, err, u)
		return
	}
	if n := drain(); n > 2 {
		t.Skipf("the kernel completed a connection past the full accept queue (%d queued, 2 were fillers), so nothing timed out; the Get ended with %v", n, err)
	}
	t.Fatalf("Get %s: %v, want ErrConnectTimeout (the connect never completed)", u, err)
}

// TestResolveOnBlockingPool shows that Resolve runs on the runtime's
// blocking pool: while a Resolve blocks, a runtime of one worker still
// completes another Get; once it returns, the first Get uses its address
// and sends the name, not the address, as Host.
func TestResolveOnBlockingPool(t *testing.T) {
	hosts := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hosts <- r.Host
		fmt.Fprint(w, "hello from ", r.URL.Path)
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	rt, c := newClient(t, 1)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	c.Resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
		if host != "slow.test" {
			return nil, fmt.Errorf("resolve %q: want slow.test", host)
		}
		once.Do(func() { close(entered) })
		select {
		case <-release:
		case <-t.Context().Done():
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	slow := startGet(rt, c, fmt.Sprintf("http://slow.test:%d/slow", port))
	await(t, entered, "Resolve to be called")
	r := mustGet(t, rt, c, srv.URL+"/fast")
	if string(r.Body) != "hello from /fast" {
		t.Errorf("fast Get: %q", r.Body)
	}
	if h := <-hosts; h != srv.Listener.Addr().String() {
		t.Errorf("fast Get sent Host %q", h)
	}
	select {
	case <-slow.done:
		t.Fatalf("the slow Get ended while its Resolve was blocked: %v", slow.err)
	default:
	}
	close(release)
	r, err := slow.wait(t)
	if err != nil {
		t.Fatalf("slow Get: %v", err)
	}
	if string(r.Body) != "hello from /slow" {
		t.Errorf("slow Get: %q", r.Body)
	}
	if h, want := <-hosts, fmt.Sprintf("slow.test:%d", port); h != want {
		t.Errorf("slow Get sent Host %q, want %q", h, want)
	}
}

// TestResolveFails checks that an error from Resolve, or no address at
// all, is the Get's error.
func TestResolveFails(t *testing.T) {
	rt, c := newClient(t, 2)
	nxdomain := errors.New("no such host")
	c.Resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
		if host == "none.test" {
			return nil, nil
		}
		return nil, nxdomain
	}
	u := "http://nxdomain.test/"
	_, err := get(t, rt, c, u)
	if !errors.Is(err, nxdomain) {
		t.Errorf("Get %s: %v, want the Resolve error", u, err)
	}
	urlError(t, err, u)
	u = "http://none.test/"
	if _, err := get(t, rt, c, u); err == nil {
		t.Errorf("Get %s succeeded with no address", u)
	} else {
		urlError(t, err, u)
	}
}

// connCount counts the connections a net/http test server has opened
// and closed, and sends on closedCh each time one closes.
type connCount struct {
	opened, closed atomic.Int64
	closedCh       chan struct{}
}

// countConns returns an unstarted net/http test server for h, and its
// count of connections.
func countConns(h http.Handler) (*httptest.Server, *connCount) {
	srv := httptest.NewUnstartedServer(h)
	n := &connCount{closedCh: make(chan struct{}, 1024)}
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			n.opened.Add(1)
		case http.StateClosed, http.StateHijacked:
			n.closed.Add(1)
			n.closedCh <- struct{}{}
		}
	}
	return srv, n
}

// TestKeepAlive checks that sequential Gets to one server share one
// connection, and that CloseIdle closes it.
func TestKeepAlive(t *testing.T) {
	srv, n := countConns(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.URL.Path)
	}))
	srv.Start()
	defer srv.Close()
	rt, c := newClient(t, 2)
	for i := range 20 {
		p := fmt.Sprintf("/%d", i)
		if r := mustGet(t, rt, c, srv.URL+p); string(r.Body) != p {
			t.Fatalf("Get %s: body %q", p, r.Body)
		}
	}
	if got := n.opened.Load(); got != 1 {
		t.Errorf("20 sequential Gets opened %d connections, want 1", got)
	}
	if got := n.closed.Load(); got != 0 {
		t.Errorf("%d connections closed before CloseIdle", got)
	}
	c.CloseIdle()
	await(t, n.closedCh, "the server to see the idle connection closed after CloseIdle")
	mustGet(t, rt, c, srv.URL+"/after")
	if got := n.opened.Load(); got != 2 {
		t.Errorf("a Get after CloseIdle: %d connections in all, want 2", got)
	}
}

// TestKeepAliveServerClosed checks that when the server closes a kept
// connection, the next Get retries on a fresh one and succeeds.
func TestKeepAliveServerClosed(t *testing.T) {
	closed := make(chan struct{}, 16)
	srv := serveRaw(t, func(s *rawServer, c net.Conn, br *bufio.Reader) {
		if _, _, err := readRequest(br); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		c.Close()
		closed <- struct{}{}
	})
	rt, c := newClient(t, 2)
	for i := 1; i <= 5; i++ {
		r, err := get(t, rt, c, srv.url+"/")
		if err != nil {
			t.Fatalf("Get %d, after the server closed the kept connection: %v", i, err)
		}
		if string(r.Body) != "ok" {
			t.Fatalf("Get %d: body %q", i, r.Body)
		}
		await(t, closed, "the server to close the connection")
	}
	if n := srv.accepts.Load(); n != 5 {
		t.Errorf("5 Gets took %d connections, want 5", n)
	}
}

// flood returns a handler that reads a request, writes head, and then
// writes chunk after chunk (each from next) until a write fails or
// limit bytes are written; written counts them. done is sent the total
// once it stops.
func flood(head string, next func() []byte, limit int64, done chan<- int64) func(*rawServer, net.Conn, *bufio.Reader) {
	return func(s *rawServer, c net.Conn, br *bufio.Reader) {
		var n int64
		defer func() { done <- n }()
		if _, _, err := readRequest(br); err != nil {
			return
		}
		if _, err := io.WriteString(c, head); err != nil {
			return
		}
		for n < limit {
			k, err := c.Write(next())
			n += int64(k)
			if err != nil {
				return
			}
		}
	}
}

// TestMaxBody checks that a body over MaxBodyBytes ends the Get with
// ErrBodyTooLarge, and that the client stops reading it: the hostile
// server, which would write 256 MiB, is cut off long before.
func TestMaxBody(t *testing.T) {
	const limit = 256 << 20
	zeros := make([]byte, 64<<10)
	chunk := append(append([]byte("10000\r\n"), zeros...), "\r\n"...)
	for _, tc := range []struct {
		name, head string
		next       func() []byte
	}{
		{"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 1099511627776\r\n\r\n", func() []byte { return zeros }},
		{"until-close", "HTTP/1.1 200 OK\r\n\r\n", func() []byte { return zeros }},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", func() []byte { return chunk }},
		{"headers", "HTTP/1.1 200 OK\r\n", func() []byte { return []byte("X-Flood: 0123456789abcdef0123456789abcdef\r\n") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan int64, 1)
			srv := serveRaw(t, flood(tc.head, tc.next, limit, done))
			rt, c := newClient(t, 2)
			c.MaxBodyBytes = 1 << 20
			c.MaxHeaderBytes = 4 << 10
			want := fetch.ErrBodyTooLarge
			if tc.name == "headers" {
				want = fetch.ErrHeaderTooLarge
			}
			_, err := get(t, rt, c, srv.url+"/")
			if !errors.Is(err, want) {
				t.Fatalf("Get: %v, want %v", err, want)
			}
			n := await(t, done, "the flooding server to be cut off")
			if n >= limit {
				t.Errorf("the client read all %d bytes the server wrote before it gave up", n)
			}
		})
	}
}

// TestMaxBodyExact checks that a body of exactly MaxBodyBytes is fine.
func TestMaxBodyExact(t *testing.T) {
	body := strings.Repeat("b", 1000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush()
		}
		io.WriteString(w, body)
	}))
	defer srv.Close()
	rt, c := newClient(t, 2)
	c.MaxBodyBytes = int64(len(body))
	for _, p := range []string{"/length", "/chunked"} {
		if r := mustGet(t, rt, c, srv.URL+p); string(r.Body) != body {
			t.Errorf("%s: body of %d bytes, want %d", p, len(r.Body), len(body))
		}
	}
}

// TestErrorClosesConn checks that a connection that gave a malformed
// response is closed, not kept for the next Get: its state is unknown.
func TestErrorClosesConn(t *testing.T) {
	gone := make(chan struct{}, 1)
	srv := serveRaw(t, func(s *rawServer, c net.Conn, br *bufio.Reader) {
		if _, _, err := readRequest(br); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nX-A b\r\nContent-Length: 2\r\n\r\nok")
		s.waitClose(br, gone)
	})
	rt, c := newClient(t, 2)
	if _, err := get(t, rt, c, srv.url+"/"); err == nil {
		t.Fatal("Get of a response with a header line without a colon succeeded")
	}
	await(t, gone, "the client to close the connection that gave a malformed response")
}
