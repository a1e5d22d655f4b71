package answers

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// A HeadResponse is the answer to a HEAD request: the status and the
// header that a GET of the same URL would have had, and no body.
type HeadResponse struct {
	StatusCode int                  // e.g. 200
	Status     string               // e.g. "200 OK"
	Header     textproto.MIMEHeader // keys in canonical form
}

// maxHead bounds the status line and header of a HeadResponse.
const maxHead = 64 << 10

// ANCHOR: ex3-1

// Head returns a future that sends a HEAD request for rawURL on a new
// connection on r, and is done with the status line and header of the
// answer. It reads nothing after the header's empty line, whatever the
// header's Content-Length or Transfer-Encoding say: they describe the
// body a GET would get, and an answer to HEAD has none (RFC 9112,
// section 6.3). Only http:// URLs whose host is an IP address or
// localhost: names would need the blocking pool, as Get's do.
func Head(r *reactor.Reactor,
	rawURL string) future.Future[future.Result[*HeadResponse]] {
	u, err := url.Parse(rawURL)
	if err == nil && u.Scheme != "http" {
		err = fmt.Errorf("unsupported protocol scheme %q", u.Scheme)
	}
	if err != nil {
		return future.Ready(future.Err[*HeadResponse](err))
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	req := "HEAD " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUser-Agent: asyncbook-answers\r\nConnection: close\r\n\r\n"
	return &heading{dial: tcp.Dial(r, addr), req: []byte(req)}
}

// heading is Head's future: dial, write the request, read the header.
type heading struct {
	dial future.Future[future.Result[*tcp.Conn]]
	conn *tcp.Conn
	req  []byte
	sent int
	buf  []byte // the answer so far
	done bool
}

// ANCHOR_END: ex3-1

// ANCHOR: ex3-2

func (h *heading) Poll(
	cx *future.Context,
) future.Poll[future.Result[*HeadResponse]] {
	if h.done {
		panic("answers: Head's future polled after it was done")
	}
	if h.conn == nil {
		r, ok := h.dial.Poll(cx).Value()
		if !ok {
			return future.Pending[future.Result[*HeadResponse]]()
		}
		h.dial = nil
		if r.Err != nil {
			return h.finish(nil, r.Err)
		}
		h.conn, h.buf = r.Value, make([]byte, 0, 4096)
	}
	for h.sent < len(h.req) {
		r, ok := h.conn.PollWrite(cx, h.req[h.sent:]).Value()
		if !ok {
			return future.Pending[future.Result[*HeadResponse]]()
		}
		if r.Err != nil {
			return h.finish(nil, r.Err)
		}
		h.sent += r.Value
	}
	resp, err := h.read(cx)
	if err == errWait {
		return future.Pending[future.Result[*HeadResponse]]()
	}
	return h.finish(resp, err)
}

// ANCHOR_END: ex3-2

// ANCHOR: ex3-3

// errWait is read's way to say it is waiting for the socket.
var errWait = errors.New("waiting")

// read reads until the status line and header are whole, and parses
// them. Bytes that a read brings after the header's empty line are
// left in the buffer unread: an answer to HEAD has none, and the
// connection is closed after it.
func (h *heading) read(cx *future.Context) (*HeadResponse, error) {
	for {
		if resp, done, err := h.parse(); done || err != nil {
			return resp, err
		}
		if len(h.buf) == cap(h.buf) {
			h.buf = append(h.buf, make([]byte, len(h.buf))...)[:len(h.buf)]
		}
		r, ok := h.conn.PollRead(cx, h.buf[len(h.buf):cap(h.buf)]).Value()
		switch {
		case !ok:
			return nil, errWait
		case r.Err == io.EOF:
			return nil, errors.New("connection closed before the header ended")
		case r.Err != nil:
			return nil, r.Err
		}
		h.buf = h.buf[:len(h.buf)+r.Value]
	}
}

// ANCHOR_END: ex3-3

// ANCHOR: ex3-4

// parse looks for a whole header in what has been read. An interim 1xx
// answer is dropped, and the real one looked for after it. The header
// is parsed by net/textproto, the reader net/http's client uses.
func (h *heading) parse() (*HeadResponse, bool, error) {
	for {
		end := headerEnd(h.buf)
		if end < 0 {
			if len(h.buf) >= maxHead {
				return nil, false, fmt.Errorf(
					"response header longer than %d bytes", maxHead)
			}
			return nil, false, nil
		}
		tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(h.buf[:end])))
		line, err := tp.ReadLine()
		if err != nil {
			return nil, false, err
		}
		proto, status, _ := strings.Cut(line, " ")
		code, err := strconv.Atoi(status[:min(3, len(status))])
		if !strings.HasPrefix(proto, "HTTP/1.") || err != nil || code < 100 ||
			len(status) < 3 || len(status) > 3 && status[3] != ' ' {
			return nil, false, fmt.Errorf("malformed status line %q", line)
		}
		hdr, err := tp.ReadMIMEHeader()
		if err != nil {
			return nil, false, err
		}
		if code >= 200 || code == 101 {
			resp := &HeadResponse{StatusCode: code, Status: status, Header: hdr}
			return resp, true, nil
		}
		h.buf = h.buf[:copy(h.buf, h.buf[end:])] // a 1xx: the answer follows
	}
}

// ANCHOR_END: ex3-4

// headerEnd returns the length of the status line and header at the
// start of b, their empty line included, or -1 if b does not hold them
// all yet. Lines end in LF, with or without a CR before it.
func headerEnd(b []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		line := b[i : i+j]
		if i > 0 && (len(line) == 0 || len(line) == 1 && line[0] == '\r') {
			return i + j + 1
		}
		i += j + 1
	}
}

// finish ends the Head, closing its connection.
func (h *heading) finish(resp *HeadResponse,
	err error) future.Poll[future.Result[*HeadResponse]] {
	h.Cancel()
	return future.Done(future.Result[*HeadResponse]{Value: resp, Err: err})
}

// Cancel abandons the Head, closing its connection.
func (h *heading) Cancel() {
	h.done = true
	future.Cancel(h.dial)
	h.dial = nil
	if h.conn != nil {
		h.conn.Close()
		h.conn = nil
	}
}
