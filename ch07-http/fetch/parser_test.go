package fetch

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var seedFlag = flag.Uint64("fetch.seed", 0, "seed of the parser tests' random splits (0: a new one each run)")

// testSeed returns the seed of t's random splits, and prints it if t
// fails, so that the failing run can be repeated with -fetch.seed.
func testSeed(t testing.TB) uint64 { return reactortest.Seed(t, *seedFlag, "fetch.seed") }

// The parser's default limits, the Client's.
const (
	defMaxHeader = 64 << 10
	defMaxBody   = 10 << 20
)

// outcome is everything a parse of one input produced, in a form that
// two parses can be compared by: the same input split differently must
// give the same outcome.
type outcome struct {
	Err      string // the error's text, or ""
	AtEOF    bool   // the error came from eof, not feed
	TooBig   string // which of ErrHeaderTooLarge, ErrBodyTooLarge the error is, if either
	Consumed int    // bytes the parser took (0 after an error: the connection is closed, so no caller needs it)
	Proto    string
	Code     int
	Status   string
	Header   textproto.MIMEHeader
	Trailer  textproto.MIMEHeader
	Body     string
	Reusable bool
	EOFUsed  bool // the response ended only when the peer closed
}

func (o *outcome) setErr(err error, atEOF bool) {
	o.Err = err.Error()
	o.AtEOF = atEOF
	switch {
	case errors.Is(err, ErrHeaderTooLarge):
		o.TooBig = "header"
	case errors.Is(err, ErrBodyTooLarge):
		o.TooBig = "body"
	}
}

// parseChunks feeds chunks, in order, to a new parser as a connection
// would, and then, if the response has not ended, tells it the peer
// closed. It returns what came out, or an error if the parser broke its
// contract (feed took more than it was given, or stopped short of the
// end of a chunk without an error or a finished response: the caller
// would loop for ever). Calls to feed are bounded by the input's length,
// since every call must take at least one byte.
func parseChunks(maxHeader int, maxBody int64, chunks [][]byte) (o outcome, broken error) {
	p := newParser(maxHeader, maxBody)
	for _, c := range chunks {
		for len(c) > 0 && !p.done() {
			n, err := p.feed(c)
			if n < 0 || n > len(c) {
				return o, fmt.Errorf("feed of %d bytes returned n=%d", len(c), n)
			}
			o.Consumed += n
			if err != nil {
				o.setErr(err, false)
				o.Consumed = 0
				return o, nil
			}
			if n != len(c) && !p.done() {
				return o, fmt.Errorf("feed of %q took %d bytes, returned no error and is not done: the caller cannot make progress", c, n)
			}
			c = c[n:]
		}
		if p.done() {
			break
		}
	}
	if !p.done() {
		o.EOFUsed = true
		if err := p.eof(); err != nil {
			o.setErr(err, true)
			return o, nil
		}
	}
	r := p.response()
	if r == nil {
		return o, errors.New("response() is nil after the parse ended without an error")
	}
	o.Proto, o.Code, o.Status = r.Proto, r.StatusCode, r.Status
	o.Header, o.Trailer, o.Body = r.Header, r.Trailer, string(r.Body)
	o.Reusable = p.reusable()
	return o, nil
}

// whole is in as one chunk.
func whole(in []byte) [][]byte { return [][]byte{in} }

// bytewise is in one byte at a time.
func bytewise(in []byte) [][]byte {
	cs := make([][]byte, len(in))
	for i := range in {
		cs[i] = in[i : i+1]
	}
	return cs
}

// randomSplit cuts in at random places, into chunks of 1 byte to a few
// hundred, with now and then an empty chunk.
func randomSplit(rng *rand.Rand, in []byte) [][]byte {
	var cs [][]byte
	for len(in) > 0 {
		n := min(len(in), rng.IntN(1<<rng.IntN(9))+1)
		if rng.IntN(16) == 0 {
			cs = append(cs, in[:0])
		}
		cs = append(cs, in[:n])
		in = in[n:]
	}
	return cs
}

// A parseCase is one response, as raw bytes, and what the parser must
// make of it.
type parseCase struct {
	name      string
	in        string
	maxHeader int   // 0: defMaxHeader
	maxBody   int64 // 0: defMaxBody

	// either marks a case where RFC 9112 lets a recipient accept or
	// reject: only split invariance (and, if it is accepted, agreement
	// with net/http) is checked.
	either bool

	// neverReuse marks an either case that, if it is accepted, must not
	// leave its connection reusable.
	neverReuse bool

	// A case that must fail: err is a substring of the error's text
	// ("*": any error), is an error it must wrap, feedErr that the error
	// must come from feed, before the peer closes (a limit must not wait
	// for more bytes).
	err     string
	is      error
	feedErr bool

	// A case that must succeed.
	proto    string // "": HTTP/1.1
	code     int
	status   string // "": not checked
	header   textproto.MIMEHeader
	loose    []string // header keys not compared (framing fields a parser may drop)
	trailer  textproto.MIMEHeader
	body     string
	reusable bool
	rest     string // bytes after the response, not taken by the parser
	untilEOF bool   // the body ends when the peer closes

	// bug, if set, is a bug in the parser this case finds: the case is
	// skipped with it until the parser is fixed.
	bug string

	// stdSkip says why the case is not compared with net/http at all.
	stdSkip string

	// stdCloseDiffers names why net/http's ReadResponse is not compared for
	// reusability ("" compares it).
	stdCloseDiffers string
}

func (c parseCase) limits() (int, int64) {
	mh, mb := c.maxHeader, c.maxBody
	if mh == 0 {
		mh = defMaxHeader
	}
	if mb == 0 {
		mb = defMaxBody
	}
	return mh, mb
}

func (c parseCase) fails() bool { return c.err != "" || c.is != nil }

// h builds a header from key, value pairs.
func h(kv ...string) textproto.MIMEHeader {
	m := textproto.MIMEHeader{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

const ok5 = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"

var parseCases = []parseCase{
	// Status lines.
	{name: "status/ok", in: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
		code: 200, status: "200 OK", header: h("Content-Type", "text/plain", "Content-Length", "5"), body: "hello", reusable: true},
	{name: "status/http10", in: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi",
		proto: "HTTP/1.0", code: 200, status: "200 OK", header: h("Content-Length", "2"), body: "hi", reusable: false},
	{name: "status/reason-with-spaces", in: "HTTP/1.1 404 Not Found Here\r\nContent-Length: 0\r\n\r\n",
		code: 404, status: "404 Not Found Here", header: h("Content-Length", "0"), reusable: true},
	{name: "status/empty-reason", in: "HTTP/1.1 500 \r\nContent-Length: 0\r\n\r\n",
		code: 500, header: h("Content-Length", "0"), reusable: true},
	{name: "status/no-reason-no-space", in: "HTTP/1.1 500\r\nContent-Length: 0\r\n\r\n", either: true},
	{name: "status/reason-obs-text", in: "HTTP/1.1 200 D\xe9j\xe0 vu\r\nContent-Length: 0\r\n\r\n",
		code: 200, status: "200 D\xe9j\xe0 vu", header: h("Content-Length", "0"), reusable: true},
	{name: "status/version-2.0", in: "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "status/version-0.9", in: "HTTP/0.9 200 OK\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "status/version-lower-case", in: "http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "status/version-1.10", in: "HTTP/1.10 200 OK\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "status/letter-O", in: "HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n", err: `malformed status line "HTTP/1.1 2OO OK"`},
	{name: "status/code-two-digits", in: "HTTP/1.1 99 Low\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "status/code-four-digits", in: "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "status/code-600", in: "HTTP/1.1 600 High\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "status/code-999", in: "HTTP/1.1 999 High\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "status/code-099", in: "HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "status/code-signed", in: "HTTP/1.1 +20 OK\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "status/no-space", in: "HTTP/1.1200 OK\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "status/two-spaces", in: "HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n", either: true},
	{name: "status/bare-cr", in: "HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n", err: "*"},
	{name: "status/bare-lf-lines", in: "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", either: true},
	{name: "status/control-in-reason", in: "HTTP/1.1 200 O\x00K\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "status/not-http", in: "SSH-2.0-OpenSSH_9.6\r\n\r\n", err: "*"},
	{name: "status/empty-line", in: "\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", either: true},
	{name: "status/longer-than-limit", in: "HTTP/1.1 200 " + strings.Repeat("a", 300), maxHeader: 128,
		is: ErrHeaderTooLarge, feedErr: true},
	{name: "status/nothing", in: "", err: "*"},
	{name: "status/cut-short", in: "HTTP/1.1 200 O", err: "*"},

	// Header fields.
	{name: "header/canonical-keys", in: "HTTP/1.1 200 OK\r\ncontent-type: a\r\nx-SOME-thing: b\r\nCONTENT-LENGTH: 0\r\n\r\n",
		code: 200, header: h("Content-Type", "a", "X-Some-Thing", "b", "Content-Length", "0"), reusable: true},
	{name: "header/repeated-in-order", in: "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-A: 1\r\nSet-Cookie: b=2\r\nx-a: 2\r\nSet-Cookie: c=3\r\nContent-Length: 0\r\n\r\n",
		code: 200, header: h("Set-Cookie", "a=1", "X-A", "1", "Set-Cookie", "b=2", "X-A", "2", "Set-Cookie", "c=3", "Content-Length", "0"), reusable: true},
	{name: "header/ows-trimmed", in: "HTTP/1.1 200 OK\r\nX-A:   \t value with  inner \t space \t \r\nX-B:v\r\nX-Empty:\r\nX-Blank: \t \r\nContent-Length: 0\r\n\r\n",
		code: 200, header: h("X-A", "value with  inner \t space", "X-B", "v", "X-Empty", "", "X-Blank", "", "Content-Length", "0"), reusable: true},
	{name: "header/obs-text-value", in: "HTTP/1.1 200 OK\r\nX-A: caf\xc3\xa9 \xff\r\nContent-Length: 0\r\n\r\n",
		code: 200, header: h("X-A", "caf\xc3\xa9 \xff", "Content-Length", "0"), reusable: true},
	{name: "header/colon-in-value", in: "HTTP/1.1 200 OK\r\nLocation: http://x:80/a:b\r\nContent-Length: 0\r\n\r\n",
		code: 200, header: h("Location", "http://x:80/a:b", "Content-Length", "0"), reusable: true},
	{name: "header/no-colon", in: "HTTP/1.1 200 OK\r\nX-A b\r\nContent-Length: 0\r\n\r\n", err: "colon"},
	{name: "header/space-before-colon", in: "HTTP/1.1 200 OK\r\nX-A : b\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "header/tab-before-colon", in: "HTTP/1.1 200 OK\r\nX-A\t: b\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "header/empty-name", in: "HTTP/1.1 200 OK\r\n: b\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "header/paren-in-name", in: "HTTP/1.1 200 OK\r\nX(A): b\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "header/nul-in-name", in: "HTTP/1.1 200 OK\r\nX\x00A: b\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "header/non-ascii-name", in: "HTTP/1.1 200 OK\r\nX-\xc3\xa9: b\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "header/nul-in-value", in: "HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "header/ctl-in-value", in: "HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "header/del-in-value", in: "HTTP/1.1 200 OK\r\nX-A: a\x7fb\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "header/bare-cr-in-value", in: "HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "header/obs-fold", in: "HTTP/1.1 200 OK\r\nX-A: b\r\n  c\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "header/obs-fold-tab", in: "HTTP/1.1 200 OK\r\nX-A: b\r\n\tc\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "header/leading-whitespace-first", in: "HTTP/1.1 200 OK\r\n X-A: b\r\nContent-Length: 0\r\n\r\n", err: "*"},
	{name: "header/over-limit", in: "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-Padding: 0123456789012345678901234\r\n", 10) + "Content-Length: 0\r\n\r\n",
		maxHeader: 128, is: ErrHeaderTooLarge, feedErr: true},
	{name: "header/endless", in: "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-A: b\r\n", 2000),
		maxHeader: 1024, is: ErrHeaderTooLarge, feedErr: true},
	{name: "header/one-long-line", in: "HTTP/1.1 200 OK\r\nX-A: " + strings.Repeat("b", 5000),
		maxHeader: 1024, is: ErrHeaderTooLarge, feedErr: true},
	{name: "header/under-limit", in: "HTTP/1.1 200 OK\r\nX-A: b\r\nContent-Length: 2\r\n\r\nhi",
		maxHeader: 128, code: 200, header: h("X-A", "b", "Content-Length", "2"), body: "hi", reusable: true},
	{name: "header/cut-short", in: "HTTP/1.1 200 OK\r\nX-A: b\r\nContent-Le", err: "*"},
	{name: "header/no-blank-line", in: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n", err: "*"},

	// Framing by Content-Length.
	{name: "length/rest-is-next-response", in: ok5 + "HTTP/1.1 204 No Content\r\n\r\n",
		code: 200, header: h("Content-Length", "5"), body: "hello", reusable: true, rest: "HTTP/1.1 204 No Content\r\n\r\n"},
	{name: "length/zero", in: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		code: 200, header: h("Content-Length", "0"), reusable: true},
	{name: "length/ows", in: "HTTP/1.1 200 OK\r\nContent-Length:  3 \t\r\n\r\nabc",
		code: 200, header: h("Content-Length", "3"), body: "abc", reusable: true},
	{name: "length/two-equal", in: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
		code: 200, header: h(), loose: []string{"Content-Length"}, body: "abc", reusable: true},
	{name: "length/two-different", in: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", err: "*"},
	{name: "length/list-equal", in: "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc", either: true},
	{name: "length/plus", in: "HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\nabc", err: "*"},
	{name: "length/minus", in: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nabc", err: "*"},
	{name: "length/hex", in: "HTTP/1.1 200 OK\r\nContent-Length: 0x3\r\n\r\nabc", err: "*"},
	{name: "length/trailing-letter", in: "HTTP/1.1 200 OK\r\nContent-Length: 3a\r\n\r\nabc", err: "*"},
	{name: "length/inner-space", in: "HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\nabcdefghijkl", err: "*"},
	{name: "length/empty", in: "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\nabc", err: "*"},
	{name: "length/overflow", in: "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999999\r\n\r\nabc", err: "*", feedErr: true},
	{name: "length/over-max-before-body", in: "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
		maxBody: 100, is: ErrBodyTooLarge, feedErr: true},
	{name: "length/at-max", in: ok5, maxBody: 5,
		code: 200, header: h("Content-Length", "5"), body: "hello", reusable: true},
	{name: "length/truncated", in: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + strings.Repeat("x", 20),
		err: "20 of 100"},

	// Chunked.
	{name: "chunked/extensions", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n" +
		"4;name=value\r\nWiki\r\n5;quoted=\"a;b\";flag\r\npedia\r\nA;ws=1\r\n in chunks\r\n0;last=1\r\nX-Checksum: abc\r\nx-more: 1\r\nx-more: 2\r\n\r\n",
		code: 200, header: h("Trailer", "X-Checksum"), loose: []string{"Transfer-Encoding", "Trailer"},
		trailer: h("X-Checksum", "abc", "X-More", "1", "X-More", "2"), body: "Wikipedia in chunks", reusable: true},
	{name: "chunked/extension-bws", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 ; a = 1\r\nhi\r\n0\r\n\r\n", either: true},
	{name: "chunked/plain", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
		code: 200, header: h(), loose: []string{"Transfer-Encoding"}, body: "hello world", reusable: true},
	{name: "chunked/upper-hex-leading-zeros", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00A\r\n0123456789\r\n0000\r\n\r\n",
		code: 200, header: h(), loose: []string{"Transfer-Encoding"}, body: "0123456789", reusable: true},
	{name: "chunked/name-case-insensitive", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
		code: 200, header: h(), loose: []string{"Transfer-Encoding"}, body: "hi", reusable: true},
	{name: "chunked/rest-is-next-response", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n" + ok5,
		code: 200, header: h(), loose: []string{"Transfer-Encoding"}, body: "hi", reusable: true, rest: ok5},
	{name: "chunked/bad-hex", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhi\r\n0\r\n\r\n", err: `bad chunk size "zz"`},
	{name: "chunked/empty-size", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhi\r\n0\r\n\r\n", err: "*"},
	{name: "chunked/negative-size", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-2\r\nhi\r\n0\r\n\r\n", err: "*"},
	{name: "chunked/0x-size", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\nhi\r\n0\r\n\r\n", err: "*"},
	{name: "chunked/size-overflow", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1fffffffffffffffffffffff\r\nhi\r\n0\r\n\r\n", err: "*", feedErr: true},
	// 16 hex digits fit an int64, but the sum with the body so far may
	// wrap below the limit: the parser takes at most 15.
	{name: "chunked/size-sum-wraps", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n7fffffffffffffff\r\nhi\r\n0\r\n\r\n",
		err: `bad chunk size "7fffffffffffffff"`, feedErr: true},
	{name: "chunked/size-over-max", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nff\r\n" + strings.Repeat("x", 255) + "\r\n0\r\n\r\n",
		maxBody: 10, is: ErrBodyTooLarge, feedErr: true},
	{name: "chunked/sum-over-max", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n123456\r\n6\r\n123456\r\n0\r\n\r\n",
		maxBody: 10, is: ErrBodyTooLarge, feedErr: true},
	{name: "chunked/sum-at-max", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n123456\r\n4\r\n7890\r\n0\r\n\r\n",
		maxBody: 10, code: 200, header: h(), loose: []string{"Transfer-Encoding"}, body: "1234567890", reusable: true},
	{name: "chunked/missing-crlf-after-data", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWikiX\r\n0\r\n\r\n", err: "*"},
	{name: "chunked/lf-after-data", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\n0\r\n\r\n", either: true},
	{name: "chunked/truncated-data", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWi", err: "*"},
	{name: "chunked/no-last-chunk", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n", err: "*"},
	{name: "chunked/no-final-crlf", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n0\r\n", err: "*"},
	{name: "chunked/trailer-no-colon", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T v\r\n\r\n", err: "colon"},
	{name: "chunked/trailer-obs-fold", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: v\r\n w\r\n\r\n", err: "*"},
	{name: "chunked/trailer-over-limit", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: " + strings.Repeat("v", 400) + "\r\n\r\n",
		maxHeader: 256, is: ErrHeaderTooLarge, feedErr: true},
	{name: "chunked/endless-extension", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + strings.Repeat("e", 100<<10),
		err: "*", feedErr: true},
	{name: "chunked/cut-between-chunks", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat("1\r\nx\r\n", 10),
		err: "*"},
	{name: "te/gzip", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc", err: "*"},
	{name: "te/gzip-chunked", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", err: "*"},
	{name: "te/identity", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc", err: "*"},
	{name: "te/chunked-twice", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", either: true},
	{name: "te/and-content-length", in: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		code: 200, header: h(), loose: []string{"Content-Length", "Transfer-Encoding"}, body: "abc", reusable: false,
		stdCloseDiffers: "net/http drops the Content-Length and keeps the connection"},

	// Bodies that are not there, or end at the close.
	{name: "nobody/204", in: "HTTP/1.1 204 No Content\r\n\r\n" + ok5,
		code: 204, header: h(), reusable: true, rest: ok5},
	{name: "nobody/304-with-length", in: "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n" + ok5,
		code: 304, header: h("Content-Length", "10"), loose: []string{"Content-Length"}, reusable: true, rest: ok5},
	{name: "nobody/204-chunked", in: "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n",
		either: true},
	{name: "close/until-eof", in: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this\r\nand this",
		code: 200, header: h("Content-Type", "text/plain"), body: "all of this\r\nand this", untilEOF: true, reusable: false},
	{name: "close/until-eof-empty", in: "HTTP/1.1 200 OK\r\n\r\n",
		code: 200, header: h(), untilEOF: true, reusable: false},
	{name: "close/until-eof-http10", in: "HTTP/1.0 200 OK\r\n\r\nold",
		proto: "HTTP/1.0", code: 200, header: h(), body: "old", untilEOF: true, reusable: false},
	{name: "close/until-eof-over-max", in: "HTTP/1.1 200 OK\r\n\r\n" + strings.Repeat("x", 100),
		maxBody: 50, is: ErrBodyTooLarge, feedErr: true},
	{name: "close/connection-close", in: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi",
		code: 200, header: h("Connection", "close", "Content-Length", "2"), loose: []string{"Connection"}, body: "hi", reusable: false},
	{name: "close/connection-close-in-list", in: "HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 2\r\n\r\nhi",
		code: 200, header: h("Connection", "Keep-Alive, CLOSE", "Content-Length", "2"), loose: []string{"Connection"}, body: "hi", reusable: false},
	{name: "close/http10-keep-alive", in: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi",
		proto: "HTTP/1.0", code: 200, header: h("Connection", "keep-alive", "Content-Length", "2"), body: "hi", reusable: true},
	{name: "close/http10-chunked", in: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
		either: true, neverReuse: true,
		stdSkip: "net/http ignores Transfer-Encoding in an HTTP/1.0 response and reads its body until the close (parseTransferEncoding, net/http/transfer.go)"},
	{name: "close/keep-alive-1.1", in: "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi",
		code: 200, header: h("Connection", "keep-alive", "Content-Length", "2"), body: "hi", reusable: true},

	// Interim responses.
	{name: "1xx/skipped", in: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" + ok5,
		code: 200, status: "200 OK", header: h("Content-Length", "5"), body: "hello", reusable: true},
	{name: "1xx/then-close", in: "HTTP/1.1 100 Continue\r\n\r\n", err: "*"},
	{name: "1xx/then-bad", in: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 2OO OK\r\n\r\n", err: "malformed status line"},
	{name: "1xx/many-over-limit", in: strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", 100) + ok5,
		maxHeader: 512, either: true},
}

// check compares o with what c wants.
func (c parseCase) check(t *testing.T, o outcome) {
	t.Helper()
	if c.either {
		if c.neverReuse && o.Err == "" && o.Reusable {
			t.Errorf("input %q: accepted, and reusable() is true; want an error or false", c.in)
		}
		return
	}
	if c.fails() {
		switch {
		case o.Err == "":
			t.Errorf("input %q: parsed (status %d, body %q), want an error", c.in, o.Code, o.Body)
		case c.err != "" && c.err != "*" && !strings.Contains(o.Err, c.err):
			t.Errorf("input %q: error %q, want one that says %q", c.in, o.Err, c.err)
		case c.is == ErrHeaderTooLarge && o.TooBig != "header",
			c.is == ErrBodyTooLarge && o.TooBig != "body":
			t.Errorf("input %q: error %q, want one that wraps %v", c.in, o.Err, c.is)
		case c.feedErr && o.AtEOF:
			t.Errorf("input %q: error %q only when the peer closed; feed must see it without waiting for the close", c.in, o.Err)
		}
		return
	}
	if o.Err != "" {
		t.Fatalf("input %q: error %q, want status %d", c.in, o.Err, c.code)
	}
	proto := c.proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	if o.Proto != proto || o.Code != c.code {
		t.Errorf("input %q: %s %d, want %s %d", c.in, o.Proto, o.Code, proto, c.code)
	}
	if c.status != "" && o.Status != c.status {
		t.Errorf("input %q: Status %q, want %q", c.in, o.Status, c.status)
	}
	if !strings.HasPrefix(o.Status, fmt.Sprint(c.code)) {
		t.Errorf("input %q: Status %q does not start with the code %d", c.in, o.Status, c.code)
	}
	ignore := cmpopts.IgnoreMapEntries(func(k string, _ []string) bool {
		for _, l := range c.loose {
			if k == l {
				return true
			}
		}
		return false
	})
	if d := cmp.Diff(c.header, o.Header, cmpopts.EquateEmpty(), ignore); d != "" {
		t.Errorf("input %q: header (-want +got):\n%s", c.in, d)
	}
	if d := cmp.Diff(c.trailer, o.Trailer, cmpopts.EquateEmpty()); d != "" {
		t.Errorf("input %q: trailer (-want +got):\n%s", c.in, d)
	}
	if o.Body != c.body {
		t.Errorf("input %q: body %q, want %q", c.in, o.Body, c.body)
	}
	if o.Reusable != c.reusable {
		t.Errorf("input %q: reusable() = %v, want %v", c.in, o.Reusable, c.reusable)
	}
	if o.EOFUsed != c.untilEOF {
		t.Errorf("input %q: response ended at the close: %v, want %v", c.in, o.EOFUsed, c.untilEOF)
	}
	if rest := c.in[min(o.Consumed, len(c.in)):]; rest != c.rest {
		t.Errorf("input %q: left %q after the response, want %q", c.in, rest, c.rest)
	}
}

// TestParse feeds every case whole, one byte at a time and in random
// splits, and checks that all give the same outcome and that it is the
// one the case wants.
func TestParse(t *testing.T) {
	seed := testSeed(t)
	for ci, c := range parseCases {
		t.Run(c.name, func(t *testing.T) {
			if c.bug != "" {
				t.Skip("BUG: " + c.bug)
			}
			mh, mb := c.limits()
			in := []byte(c.in)
			want, broken := parseChunks(mh, mb, whole(in))
			if broken != nil {
				t.Fatalf("input %q fed whole: %v", c.in, broken)
			}
			c.check(t, want)
			if c.either {
				t.Logf("input %.200q (either is allowed): %+v", c.in, want)
			}
			splits := map[string][][]byte{"byte by byte": bytewise(in)}
			rng := rand.New(rand.NewPCG(seed, uint64(ci)))
			for k := range 20 {
				splits[fmt.Sprintf("random split %d", k)] = randomSplit(rng, in)
			}
			if len(in) <= 1024 {
				for i := 1; i < len(in); i++ {
					splits[fmt.Sprintf("cut at %d", i)] = [][]byte{in[:i], in[i:]}
				}
			}
			for how, chunks := range splits {
				got, broken := parseChunks(mh, mb, chunks)
				if broken != nil {
					t.Fatalf("input %q fed %s: %v", c.in, how, broken)
				}
				if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
					t.Fatalf("input %q fed %s differs from fed whole (-whole +split):\n%s", c.in, how, d)
				}
			}
		})
	}
}

// stdParse is what net/http's ReadResponse makes of in, skipping 1xx
// responses as its Transport does.
func stdParse(in []byte) (resp *http.Response, body, rest []byte, err error) {
	br := bufio.NewReader(bytes.NewReader(in))
	for {
		resp, err = http.ReadResponse(br, nil)
		if err != nil {
			return nil, nil, nil, err
		}
		if resp.StatusCode >= 200 || resp.StatusCode == 101 {
			break
		}
	}
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, nil, err
	}
	rest, _ = io.ReadAll(br)
	return resp, body, rest, nil
}

// framing is the header fields that net/http's ReadResponse rewrites
// (it drops Transfer-Encoding, Trailer and Connection: close, folds
// repeated Content-Lengths, and adds Cache-Control for a Pragma), left
// out when its header is compared with ours.
var framing = map[string]bool{
	"Transfer-Encoding": true, "Content-Length": true, "Trailer": true,
	"Connection": true, "Cache-Control": true,
}

// TestParseAgreesWithNetHTTP checks every case the parser accepts
// against net/http's ReadResponse on the same bytes: the same status,
// header fields, body, trailers, and the same bytes left over.
func TestParseAgreesWithNetHTTP(t *testing.T) {
	compared := 0
	for _, c := range parseCases {
		mh, mb := c.limits()
		o, broken := parseChunks(mh, mb, whole([]byte(c.in)))
		if broken != nil || o.Err != "" || c.bug != "" {
			continue // TestParse reports it
		}
		if c.stdSkip != "" {
			t.Logf("%s: not compared: %s", c.name, c.stdSkip)
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			std, body, rest, err := stdParse([]byte(c.in))
			if err != nil {
				t.Logf("input %.200q: net/http rejects it (%v); we accept it: %+v", c.in, err, o)
				if !c.either {
					t.Errorf("input %q: net/http rejects what the case says is valid: %v", c.in, err)
				}
				return
			}
			compared++
			if o.Code != std.StatusCode || o.Proto != std.Proto {
				t.Errorf("input %q: we say %s %d, net/http %s %d", c.in, o.Proto, o.Code, std.Proto, std.StatusCode)
			}
			if strings.TrimRight(o.Status, " ") != strings.TrimRight(std.Status, " ") {
				t.Errorf("input %q: Status %q, net/http %q", c.in, o.Status, std.Status)
			}
			ignore := cmpopts.IgnoreMapEntries(func(k string, _ []string) bool { return framing[k] })
			if d := cmp.Diff(textproto.MIMEHeader(std.Header), o.Header, cmpopts.EquateEmpty(), ignore); d != "" {
				t.Errorf("input %q: header (-net/http +ours):\n%s", c.in, d)
			}
			stdTrailer := textproto.MIMEHeader{}
			for k, v := range std.Trailer {
				if len(v) > 0 { // net/http lists the announced names with no values
					stdTrailer[k] = v
				}
			}
			if d := cmp.Diff(stdTrailer, o.Trailer, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("input %q: trailer (-net/http +ours):\n%s", c.in, d)
			}
			if string(body) != o.Body {
				t.Errorf("input %q: body %q, net/http %q", c.in, o.Body, body)
			}
			if ours := c.in[min(o.Consumed, len(c.in)):]; !o.EOFUsed && ours != string(rest) {
				t.Errorf("input %q: we leave %q after the response, net/http %q", c.in, ours, rest)
			}
			if c.stdCloseDiffers == "" && o.Reusable == std.Close {
				t.Errorf("input %q: reusable() = %v, but net/http's Close = %v", c.in, o.Reusable, std.Close)
			}
		})
	}
	if compared < 20 {
		t.Errorf("only %d cases compared with net/http; the table has lost its valid cases", compared)
	}
}
