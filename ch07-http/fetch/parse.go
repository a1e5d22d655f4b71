package fetch

import (
	"bytes"
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"
)

// ProtocolError is a response that breaks HTTP/1.1's rules (RFC 9112):
// the client cannot tell where it ends, or what it says.
type ProtocolError struct {
	Msg string
}

func (e *ProtocolError) Error() string { return e.Msg }

// protoErr makes a ProtocolError from a format and its arguments.
func protoErr(format string, args ...any) error {
	return &ProtocolError{Msg: fmt.Sprintf(format, args...)}
}

// ErrHeaderTooLarge and ErrBodyTooLarge stop a response that is larger
// than the client's limits, before the client has stored more than the
// limit of it.
var (
	ErrHeaderTooLarge = errors.New("response header too large")
	ErrBodyTooLarge   = errors.New("response body too large")
)

// preallocMax is the most a Content-Length makes the parser allocate
// before any of the body has come.
const preallocMax = 64 << 10

// maxChunkLine bounds a chunk-size line, extensions included.
const maxChunkLine = 4096

// pstate is where a parser is in a response.
type pstate uint8

const (
	stStatus     pstate = iota // the status line
	stHeader                   // header lines, up to the empty line
	stBody                     // a Content-Length body: remain bytes left
	stChunkSize                // a chunk-size line
	stChunkData                // a chunk's data: remain bytes left
	stChunkEnd                 // the CRLF after a chunk's data
	stTrailer                  // trailer lines, up to the empty line
	stUntilClose               // a body that ends when the peer closes
	stDone
)

// ANCHOR: parser

// parser reads one HTTP/1.1 response from whatever bytes the connection
// hands it, in any split: it does no I/O of its own, so a task can feed
// it from a read that returned after any number of bytes, and a test can
// feed it one byte at a time. Lines (status, headers, chunk sizes,
// trailers) are gathered in line; a body goes straight to the response.
type parser struct {
	maxHeader int   // status line and header (and trailer) bytes
	maxBody   int64 // body bytes
	state     pstate
	line      []byte // the line being gathered, without its end
	cr        bool   // line ended in CR so far: expect LF
	header    int    // header bytes seen, against maxHeader
	remain    int64  // bytes left in a Content-Length body or a chunk
	keepAlive bool
	resp      *Response
}

// ANCHOR_END: parser

// newParser returns a parser for one response with these limits.
func newParser(maxHeader int, maxBody int64) *parser {
	p := &parser{maxHeader: maxHeader, maxBody: maxBody}
	p.reset()
	return p
}

// reset starts a new response (after a 1xx one, too).
func (p *parser) reset() {
	p.state = stStatus
	p.line = p.line[:0]
	p.cr = false
	p.resp = &Response{Header: make(textproto.MIMEHeader)}
}

// done reports whether the whole response has been parsed.
func (p *parser) done() bool { return p.state == stDone }

// started reports whether any byte of a response has come.
func (p *parser) started() bool { return p.header > 0 || p.state != stStatus }

// response is the parsed response, once done.
func (p *parser) response() *Response { return p.resp }

// reusable reports, once done, whether the connection may carry another
// request: the response was HTTP/1.1 (or 1.0 with keep-alive), did not
// say Connection: close, and its length was known from its header.
func (p *parser) reusable() bool { return p.done() && p.keepAlive }

// ANCHOR: feed

// feed parses a prefix of b and returns how much it used: all of b,
// unless the response ended inside it. After an error, the response is
// lost and the connection must be closed.
func (p *parser) feed(b []byte) (int, error) {
	n := 0
	for n < len(b) && p.state != stDone {
		switch p.state {
		case stBody, stChunkData, stUntilClose:
			k := len(b) - n
			if p.state != stUntilClose && int64(k) > p.remain {
				k = int(p.remain)
			}
			if err := p.body(b[n : n+k]); err != nil {
				return n, err
			}
			n += k
		default:
			line, whole, k, err := p.gather(b[n:])
			n += k
			if err != nil {
				return n, err
			}
			if !whole {
				continue // the line goes on in the next feed
			}
			if err := p.onLine(line); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// ANCHOR_END: feed

// body takes k bytes of body, which fit in what the framing allows.
func (p *parser) body(b []byte) error {
	if int64(len(p.resp.Body))+int64(len(b)) > p.maxBody {
		return fmt.Errorf("%w: over %d bytes", ErrBodyTooLarge, p.maxBody)
	}
	p.resp.Body = append(p.resp.Body, b...)
	if p.state == stUntilClose {
		return nil
	}
	p.remain -= int64(len(b))
	if p.remain > 0 {
		return nil
	}
	if p.state == stChunkData {
		p.state = stChunkEnd
	} else {
		p.state = stDone
	}
	return nil
}

// gather adds bytes of b to the current line until its end (LF, or CRLF)
// and returns the line and whole, or whole false if b ran out first, and
// how many bytes of b it used. A CR anywhere but before the LF is an error, as is a line that
// would take the header past its limit.
func (p *parser) gather(b []byte) (line []byte, whole bool, n int, err error) {
	limit, what := p.maxHeader-p.header, error(ErrHeaderTooLarge)
	if p.state == stChunkSize || p.state == stChunkEnd {
		limit, what = maxChunkLine-len(p.line), protoErr("chunk-size line longer than %d bytes", maxChunkLine)
	}
	for i, c := range b {
		switch {
		case p.cr && c != '\n':
			return nil, false, i, protoErr("CR not followed by LF in %s", p.where())
		case c == '\r':
			p.cr = true
		case c == '\n':
			p.cr = false
			p.count(i + 1)
			line, p.line = p.line, p.line[:0]
			return line, true, i + 1, nil
		default:
			p.line = append(p.line, c)
		}
		if i+1 > limit {
			return nil, false, i + 1, what
		}
	}
	p.count(len(b))
	return nil, false, len(b), nil
}

// count adds n bytes of a line to the header's total, unless the line is
// part of the chunked framing (which has its own limit).
func (p *parser) count(n int) {
	if p.state != stChunkSize && p.state != stChunkEnd {
		p.header += n
	}
}

// where names the part of the response the parser is in, for errors.
func (p *parser) where() string {
	switch p.state {
	case stStatus:
		return "status line"
	case stHeader:
		return "header"
	case stTrailer:
		return "trailer"
	}
	return "chunk framing"
}

// onLine handles one whole line, in the state the parser is in.
func (p *parser) onLine(line []byte) error {
	switch p.state {
	case stStatus:
		return p.statusLine(line)
	case stHeader, stTrailer:
		if len(line) > 0 {
			h := p.resp.Header
			if p.state == stTrailer {
				if p.resp.Trailer == nil {
					p.resp.Trailer = make(textproto.MIMEHeader)
				}
				h = p.resp.Trailer
			}
			return headerLine(h, line)
		}
		if p.state == stTrailer {
			p.state = stDone
			return nil
		}
		return p.endHeader()
	case stChunkSize:
		return p.chunkSize(line)
	case stChunkEnd:
		if len(line) != 0 {
			return protoErr("chunk data longer than its size")
		}
		p.state = stChunkSize
	}
	return nil
}

// ANCHOR: status-line

// statusLine parses "HTTP/1.1 200 OK": the version, one space, a code of
// three digits from 100 to 599, and, after one more space, a reason
// phrase that may be empty.
func (p *parser) statusLine(line []byte) error {
	s := string(line)
	proto, rest, ok := strings.Cut(s, " ")
	code, reason, _ := strings.Cut(rest, " ")
	if !ok || (proto != "HTTP/1.1" && proto != "HTTP/1.0") ||
		len(code) != 3 || !isDigits(code) || code < "100" || code > "599" {
		return protoErr("malformed status line %q", s)
	}
	if !validValue(reason) {
		return protoErr("control byte in status line %q", s)
	}
	r := p.resp
	r.Proto, r.Status = proto, rest
	r.StatusCode, _ = strconv.Atoi(code)
	p.state = stHeader
	return nil
}

// ANCHOR_END: status-line

// isDigits reports whether s is all ASCII digits (and not empty).
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ANCHOR: header-line

// headerLine adds "Name: value" to h, by net/textproto's rules: the name
// is a token with no space before the colon, the value has its leading
// and trailing blanks cut and no control bytes but tab. A line that
// starts with a blank (the obsolete line folding) is refused.
func headerLine(h textproto.MIMEHeader, line []byte) error {
	if line[0] == ' ' || line[0] == '\t' {
		return protoErr("obsolete line folding in header: %q", line)
	}
	name, value, ok := bytes.Cut(line, []byte(":"))
	if !ok {
		return protoErr("header line without colon: %q", line)
	}
	if !validName(name) {
		return protoErr("malformed header name %q", name)
	}
	v := string(bytes.Trim(value, " \t"))
	if !validValue(v) {
		return protoErr("control byte in header %q", name)
	}
	key := textproto.CanonicalMIMEHeaderKey(string(name))
	h[key] = append(h[key], v)
	return nil
}

// ANCHOR_END: header-line

// validName reports whether b is a token (RFC 9110, section 5.6.2).
func validName(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 || !isTokenByte[c] {
			return false
		}
	}
	return len(b) > 0
}

// isTokenByte holds the ASCII bytes a token may contain.
var isTokenByte = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// validValue reports whether s has no control bytes but horizontal tab.
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// ANCHOR: framing

// endHeader decides, at the empty line after the header, how the body is
// framed (RFC 9112, section 6.3), and whether the connection can be kept.
func (p *parser) endHeader() error {
	r := p.resp
	code := r.StatusCode
	if code >= 100 && code < 200 && code != 101 {
		p.reset() // an interim response: the real one follows
		return nil
	}
	p.keepAlive = keepAlive(r)
	te := r.Header.Values("Transfer-Encoding")
	cl := r.Header.Values("Content-Length")
	switch {
	case code == 101:
		return protoErr("server switched protocols")
	case code == 204 || code == 304:
		p.state = stDone
	case len(te) > 0:
		return p.chunked(te, cl)
	case len(cl) > 0:
		return p.length(cl)
	default:
		p.keepAlive, p.state = false, stUntilClose
	}
	return nil
}

// ANCHOR_END: framing

// ANCHOR: framing-body

// chunked frames a body sent with Transfer-Encoding te, and
// Content-Length cl if the server sent one too.
func (p *parser) chunked(te, cl []string) error {
	if !strings.EqualFold(strings.Join(te, ","), "chunked") {
		return protoErr("unsupported Transfer-Encoding %q",
			strings.Join(te, ", "))
	}
	p.state = stChunkSize
	if len(cl) > 0 || p.resp.Proto == "HTTP/1.0" {
		// A smuggling attempt, or a broken proxy: RFC 9112, section
		// 6.1, has the client read this message and then close.
		p.keepAlive = false
	}
	return nil
}

// length frames a body by its Content-Length fields, cl.
func (p *parser) length(cl []string) error {
	n, err := contentLength(cl)
	if err != nil {
		return err
	}
	if n > p.maxBody {
		return fmt.Errorf("%w: Content-Length %d is over %d",
			ErrBodyTooLarge, n, p.maxBody)
	}
	p.remain, p.state = n, stBody
	if n == 0 {
		p.state = stDone
	}
	// Room for the body in one allocation, unless the server says
	// it is large: then it has to send it before it gets the memory.
	p.resp.Body = make([]byte, 0, min(n, preallocMax))
	return nil
}

// ANCHOR_END: framing-body

// keepAlive reports whether r lets its connection carry another request.
func keepAlive(r *Response) bool {
	for _, v := range r.Header.Values("Connection") {
		for _, opt := range strings.Split(v, ",") {
			opt = strings.TrimSpace(opt)
			if strings.EqualFold(opt, "close") {
				return false
			}
			if strings.EqualFold(opt, "keep-alive") && r.Proto == "HTTP/1.0" {
				return true
			}
		}
	}
	return r.Proto == "HTTP/1.1"
}

// contentLength parses the Content-Length values: digits only, and all
// the same if the field was sent more than once (RFC 9110, section 8.6).
func contentLength(vs []string) (int64, error) {
	var n int64 = -1
	for _, v := range vs {
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			m, err := strconv.ParseInt(s, 10, 64)
			if err != nil || !isDigits(s) {
				return 0, protoErr("bad Content-Length %q", v)
			}
			if n >= 0 && m != n {
				return 0, protoErr("conflicting Content-Length values %q", strings.Join(vs, ", "))
			}
			n = m
		}
	}
	return n, nil
}

// ANCHOR: chunk-size

// chunkSize parses a chunk-size line: hex digits, then extensions after
// a semicolon, which the client ignores. Size 0 is the last chunk; the
// trailer follows.
func (p *parser) chunkSize(line []byte) error {
	size, ext, _ := bytes.Cut(line, []byte(";"))
	size = bytes.TrimRight(size, " \t")
	if len(size) == 0 || len(size) > 15 || !validValue(string(ext)) {
		return protoErr("bad chunk size %q", line)
	}
	n, err := strconv.ParseInt(string(size), 16, 64)
	if err != nil || size[0] == '+' || size[0] == '-' {
		return protoErr("bad chunk size %q", line)
	}
	if int64(len(p.resp.Body))+n > p.maxBody {
		return fmt.Errorf("%w: over %d bytes", ErrBodyTooLarge, p.maxBody)
	}
	if n == 0 {
		p.state = stTrailer
		return nil
	}
	p.remain, p.state = n, stChunkData
	return nil
}

// ANCHOR_END: chunk-size

// ANCHOR: eof

// eof tells the parser that the peer closed the connection. That ends a
// body framed by the close; anywhere else, the response was cut short.
func (p *parser) eof() error {
	switch p.state {
	case stUntilClose:
		p.state = stDone
		return nil
	case stDone:
		return nil
	case stStatus:
		if len(p.line) == 0 && p.header == 0 {
			return errNoResponse
		}
	case stBody:
		got := int64(len(p.resp.Body))
		return protoErr("unexpected EOF: body ended after %d of %d bytes",
			got, got+p.remain)
	case stChunkSize, stChunkData, stChunkEnd, stTrailer:
		return protoErr("unexpected EOF in chunked body after %d bytes",
			len(p.resp.Body))
	}
	return protoErr("unexpected EOF in %s", p.where())
}

// ANCHOR_END: eof

// errNoResponse is the end of a connection before any byte of a response:
// on a kept connection, the server closed it while idle, and the request
// may be sent again on a new one.
var errNoResponse = errors.New("server closed the connection without a response")
