package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// ANCHOR: client

// A Client fetches URLs over HTTP/1.1 as tasks on a runtime. Its fields
// are its limits; set them before the first Get, and do not change them
// after. A Client may be used by many tasks at once.
type Client struct {
	UserAgent      string        // the User-Agent header
	MaxRedirects   int           // redirects followed per Get; 0: none
	MaxHeaderBytes int           // status line, header and trailer
	MaxBodyBytes   int64         // body, after chunked framing is removed
	ConnectTimeout time.Duration // per dial and per lookup; 0: none
	Timeout        time.Duration // per Get, redirects included; 0: none

	// MaxIdlePerHost is how many connections to one host:port are kept
	// open, after a response, for the next request to that host.
	MaxIdlePerHost int

	// Resolve looks up a host name's addresses. It blocks, so it runs on
	// the runtime's blocking pool, never on a worker. The default is
	// net.DefaultResolver.LookupNetIP.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)

	rt   *sched.Runtime
	idle pool
}

// ANCHOR_END: client

// New returns a Client whose fetches run on rt, with these defaults:
// UserAgent "asyncbook-fetch/1.0", 10 redirects, 64 KiB of header,
// 10 MiB of body, a 10 s connect timeout, no timeout per Get, and 100
// idle connections per host.
func New(rt *sched.Runtime) *Client {
	return &Client{
		UserAgent:      "asyncbook-fetch/1.0",
		MaxRedirects:   10,
		MaxHeaderBytes: 64 << 10,
		MaxBodyBytes:   10 << 20,
		ConnectTimeout: 10 * time.Second,
		MaxIdlePerHost: 100,
		Resolve: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		},
		rt: rt,
	}
}

// A Response is a whole HTTP response: the body has been read into
// memory.
type Response struct {
	URL        *url.URL             // the URL that answered, after redirects
	Proto      string               // "HTTP/1.1" or "HTTP/1.0"
	StatusCode int                  // e.g. 200
	Status     string               // e.g. "200 OK"
	Header     textproto.MIMEHeader // keys in canonical form
	Trailer    textproto.MIMEHeader // a chunked body's trailer, or nil
	Body       []byte
	Redirects  int // how many redirects led here
}

// timeoutError is the type of the timeout errors: its Timeout method
// lets net.Error users (and url.Error's Timeout) tell them apart.
type timeoutError string

func (e timeoutError) Error() string { return string(e) }
func (e timeoutError) Timeout() bool { return true }

// The errors a Get can end with, besides the network's own errors and
// ProtocolError. Each comes wrapped in a *url.Error; test with errors.Is.
var (
	ErrTimeout        error = timeoutError("request timeout")
	ErrConnectTimeout error = timeoutError("connect timeout")
	ErrDeadline       error = timeoutError("run deadline passed")
	ErrHTTPS                = errors.New("https is not supported: this client speaks plain HTTP")
)

// Get returns a future that fetches rawURL, following redirects, and is
// done with the whole response, or with an error: a *url.Error whose Err
// says what went wrong. A status of 4xx or 5xx is a response, not an
// error. Cancelling the future closes its connection.
func (c *Client) Get(rawURL string) future.Future[future.Result[*Response]] {
	u, err := parseURL(rawURL)
	if err != nil {
		return future.Ready(future.Err[*Response](&url.Error{Op: "Get", URL: rawURL, Err: err}))
	}
	g := &getting{c: c, u: u, raw: rawURL}
	return within(c, g, c.Timeout, &url.Error{Op: "Get", URL: rawURL, Err: ErrTimeout})
}

// parseURL parses rawURL, and says why the client cannot fetch it, if it
// cannot.
func parseURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.Unwrap(err) // url.Error inside url.Error says it twice
	}
	return u, checkURL(u)
}

// checkURL says why the client cannot fetch u, if it cannot.
func checkURL(u *url.URL) error {
	switch {
	case u.Scheme == "https":
		return ErrHTTPS
	case u.Scheme != "http":
		return fmt.Errorf("unsupported protocol scheme %q", u.Scheme)
	case u.Hostname() == "":
		return errors.New("no host in URL")
	case u.User != nil:
		return errors.New("user information in a URL is not supported")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return fmt.Errorf("invalid port %q", p)
		}
	}
	return nil
}

// hostPort is u's host and port, the port 80 if u has none, and the
// key of the connections to them in the idle pool.
func hostPort(u *url.URL) (key string, port uint16) {
	p, err := strconv.ParseUint(u.Port(), 10, 16)
	if err != nil {
		p = 80 // no port: parseURL has refused any other
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), strconv.Itoa(int(p))), uint16(p)
}

// ANCHOR: request

// request is the bytes of a GET for u.
func (c *Client) request(u *url.URL) []byte {
	var b []byte
	b = append(b, "GET "...)
	b = append(b, u.RequestURI()...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, u.Host...)
	b = append(b, "\r\nUser-Agent: "...)
	b = append(b, c.UserAgent...)
	b = append(b, "\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n"...)
	return b
}

// ANCHOR_END: request

// isRedirect reports whether code sends the client to a Location.
func isRedirect(code int) bool {
	switch code {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// step is where a getting is.
type step uint8

const (
	stepStart   step = iota // pick a kept connection, or look up the host
	stepResolve             // waiting for the lookup
	stepDial                // connecting to addrs[next]
	stepWrite               // sending the request
	stepRead                // reading the response
)

// ANCHOR: getting

// getting is the future of Get: one request after another (one per
// redirect), each through the steps above.
type getting struct {
	c    *Client
	u    *url.URL // the URL being fetched now
	raw  string   // the URL as given to Get
	hops int      // redirects followed
	step step
	done bool

	connecting // start, resolved and connect's fields
	exchanging // write and read's fields
}

// ANCHOR_END: getting

// ANCHOR: connecting

// connecting is where a getting is on its way from a host name to a
// connection.
type connecting struct {
	key     string // u's host:port, the idle pool's key
	port    uint16
	noPool  bool // a kept connection failed: dial a new one
	resolve future.Future[future.Result[[]netip.Addr]]
	addrs   []netip.Addr
	next    int // the address to dial next
	dial    future.Future[future.Result[*tcp.Conn]]
	dialErr error
}

// ANCHOR_END: connecting

// ANCHOR: exchanging

// exchanging is a getting's request and its response on a connection.
type exchanging struct {
	pc   *pconn
	req  []byte
	sent int
	ps   *parser
}

// ANCHOR_END: exchanging

// ANCHOR: getting-poll

func (g *getting) Poll(
	cx *future.Context,
) future.Poll[future.Result[*Response]] {
	if g.done {
		panic("fetch: Get's future polled after it was done")
	}
	for {
		var err error
		switch g.step {
		case stepStart:
			err = g.start(cx)
		case stepResolve:
			err = g.resolved(cx)
		case stepDial:
			err = g.connect(cx)
		case stepWrite:
			err = g.write(cx)
		case stepRead:
			var resp *Response
			if resp, err = g.read(cx); resp != nil {
				var final bool
				if final, err = g.redirect(resp); final {
					return g.finish(future.Ok(resp))
				}
			}
		}
		if err == errPending {
			return future.Pending[future.Result[*Response]]()
		}
		if err != nil {
			return g.finish(future.Err[*Response](g.fail(err)))
		}
	}
}

// ANCHOR_END: getting-poll

// fail wraps the error err of the URL being fetched: the one given to
// Get, as given, or the one a redirect led to.
func (g *getting) fail(err error) *url.Error {
	u := g.raw
	if g.hops > 0 {
		u = g.u.String()
	}
	return &url.Error{Op: "Get", URL: u, Err: err}
}

// errPending is how a step says it is waiting: cx's waker is stored.
var errPending = errors.New("pending")

// finish ends the Get with r.
func (g *getting) finish(r future.Result[*Response]) future.Poll[future.Result[*Response]] {
	g.Cancel()
	return future.Done(r)
}

// Cancel abandons the Get, closing its connection.
func (g *getting) Cancel() {
	g.done = true
	future.Cancel(g.resolve)
	future.Cancel(g.dial)
	g.resolve, g.dial = nil, nil
	if g.pc != nil {
		g.pc.conn.Close()
		g.pc = nil
	}
}

// ANCHOR: start

// start begins a request: on a kept connection to the host if there is
// one, else by looking up the host's addresses. An IP address needs no
// lookup; a name goes to the blocking pool, because the lookup may block
// its thread (in the C library's getaddrinfo, say), and on a worker that
// would stall every task queued behind it.
func (g *getting) start(cx *future.Context) error {
	g.req, g.sent = g.c.request(g.u), 0
	g.key, g.port = hostPort(g.u)
	for !g.noPool {
		if g.pc = g.c.idle.get(g.key); g.pc == nil {
			break
		}
		if !g.pc.stale(cx) {
			g.step = stepWrite
			return nil
		}
		g.pc.conn.Close()
		g.pc = nil
	}
	host := g.u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		g.addrs, g.next, g.step = []netip.Addr{ip}, 0, stepDial
		return nil
	}
	g.lookup(host)
	return nil
}

// ANCHOR_END: start

// ANCHOR: lookup

// lookup starts the lookup of host on the blocking pool, within the
// connect timeout, which also goes to the lookup as its context's.
func (g *getting) lookup(host string) {
	c := g.c
	find := func() ([]netip.Addr, error) {
		ctx := context.Background()
		if c.ConnectTimeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, c.ConnectTimeout)
			defer cancel()
		}
		addrs, err := c.Resolve(ctx, host)
		if err != nil && ctx.Err() == context.DeadlineExceeded {
			err = ErrConnectTimeout // within's clock, a hair earlier
		}
		return addrs, err
	}
	g.resolve = within(c, sched.SpawnBlocking(c.rt, find),
		c.ConnectTimeout, ErrConnectTimeout)
	g.step = stepResolve
}

// ANCHOR_END: lookup

// resolved waits for the lookup of the host.
func (g *getting) resolved(cx *future.Context) error {
	r, ok := g.resolve.Poll(cx).Value()
	if !ok {
		return errPending
	}
	g.resolve = nil
	if r.Err != nil {
		return r.Err
	}
	if len(r.Value) == 0 {
		return &net.DNSError{Err: "no addresses", Name: g.u.Hostname(), IsNotFound: true}
	}
	g.addrs, g.next, g.step = r.Value, 0, stepDial
	return nil
}

// connect dials the host's addresses in turn until one answers.
func (g *getting) connect(cx *future.Context) error {
	for {
		if g.dial == nil {
			if g.next == len(g.addrs) {
				return g.dialErr
			}
			ap := netip.AddrPortFrom(g.addrs[g.next].Unmap(), g.port)
			g.next++
			g.dial = within(g.c, tcp.DialAddr(g.c.rt.Reactor(), ap), g.c.ConnectTimeout, ErrConnectTimeout)
		}
		r, ok := g.dial.Poll(cx).Value()
		if !ok {
			return errPending
		}
		g.dial = nil
		if r.Err == nil {
			g.pc = newPconn(r.Value, g.key)
			g.step = stepWrite
			return nil
		}
		g.dialErr = r.Err
	}
}

// write sends the request.
func (g *getting) write(cx *future.Context) error {
	for g.sent < len(g.req) {
		r, ok := g.pc.conn.PollWrite(cx, g.req[g.sent:]).Value()
		if !ok {
			return errPending
		}
		if r.Err != nil {
			return g.retry(r.Err)
		}
		g.sent += r.Value
	}
	g.ps = newParser(g.c.MaxHeaderBytes, g.c.MaxBodyBytes)
	g.step = stepRead
	return nil
}

// ANCHOR: read

// read reads the response, feeding the parser whatever each read brings,
// and returns it once it is whole. Then the connection goes back to the
// pool if the response left it fit for another request.
func (g *getting) read(cx *future.Context) (*Response, error) {
	for !g.ps.done() {
		r, ok := g.pc.conn.PollRead(cx, g.pc.buf).Value()
		if !ok {
			return nil, errPending
		}
		if r.Err == io.EOF {
			if err := g.ps.eof(); err != nil {
				return nil, g.retry(err)
			}
			break
		}
		if r.Err != nil {
			return nil, g.retry(r.Err)
		}
		n, err := g.ps.feed(g.pc.buf[:r.Value])
		if err != nil {
			return nil, err
		}
		if n < r.Value { // bytes after the response: not ours to read
			g.ps.keepAlive = false
		}
	}
	if g.ps.reusable() {
		g.c.idle.put(g.pc, g.c.MaxIdlePerHost)
	} else {
		g.pc.conn.Close()
	}
	g.pc = nil
	return g.ps.response(), nil
}

// ANCHOR_END: read

// ANCHOR: retry

// retry decides what a failure to send the request or to read the first
// byte of the answer means. On a connection kept from an earlier
// response, it is most likely the server closing the connection while it
// was idle, at the same moment as the client chose it: so the request
// (a GET, which is safe to repeat) is sent once more on a new connection.
// Anywhere else, err is the Get's error.
func (g *getting) retry(err error) error {
	if !g.pc.kept || g.ps != nil && g.ps.started() {
		return err
	}
	g.pc.conn.Close()
	g.pc, g.ps, g.noPool, g.step = nil, nil, true, stepStart
	return nil
}

// ANCHOR_END: retry

// ANCHOR: redirect

// redirect looks at a whole response: final if it is the Get's answer;
// else, if the limit allows, the Get goes on at its Location, and if
// not, err says why not.
func (g *getting) redirect(resp *Response) (final bool, err error) {
	loc := resp.Header.Get("Location")
	if !isRedirect(resp.StatusCode) || loc == "" || g.c.MaxRedirects <= 0 {
		resp.URL, resp.Redirects = g.u, g.hops
		return true, nil
	}
	if g.hops == g.c.MaxRedirects {
		return false, fmt.Errorf("stopped after %d redirects", g.hops)
	}
	next, err := g.u.Parse(loc)
	if err != nil {
		return false, fmt.Errorf("bad Location %q: %v", loc, errors.Unwrap(err))
	}
	if err := checkURL(next); err != nil {
		return false, fmt.Errorf("redirect to %s: %w", next, err)
	}
	g.u, g.hops, g.noPool, g.ps, g.step = next, g.hops+1, false, nil, stepStart
	return false, nil
}

// ANCHOR_END: redirect
