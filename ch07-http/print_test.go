package main

import (
	"errors"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/cli"
	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// jsonResponse is a 200 response with body and Content-Type ct.
func jsonResponse(ct, body string) *fetch.Response {
	h := textproto.MIMEHeader{}
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	return &fetch.Response{StatusCode: 200, Status: "200 OK", Header: h, Body: []byte(body)}
}

func TestLine(t *testing.T) {
	long := strings.Repeat("ab", 30)
	redirected := jsonResponse("application/json", `{"title":"x"}`)
	redirected.Redirects = 3
	for _, tc := range []struct {
		r    fetch.Result
		want string
	}{
		{fetch.Result{Response: jsonResponse("application/json", `{"id":1,"title":"hi"}`), Elapsed: 1500 * time.Microsecond},
			`u     200   21 B   1.5ms  "hi"`},
		{fetch.Result{Response: jsonResponse("application/json; charset=utf-8", `{"title":"tab\there"}`), Elapsed: 12 * time.Millisecond},
			`u     200   21 B    12ms  "tab\there"`},
		{fetch.Result{Response: jsonResponse("text/plain", `{"title":"hi"}`), Elapsed: 0},
			`u     200   14 B   0.0ms`},
		{fetch.Result{Response: jsonResponse("", `{"title":"hi"}`), Elapsed: 0},
			`u     200   14 B   0.0ms`},
		{fetch.Result{Response: jsonResponse("application/json", `{"title":`), Elapsed: 0},
			`u     200    9 B   0.0ms  (invalid JSON)`},
		{fetch.Result{Response: jsonResponse("application/json", `[1,2]`), Elapsed: 0},
			`u     200    5 B   0.0ms`},
		{fetch.Result{Response: jsonResponse("application/json", `{"title":7}`), Elapsed: 0},
			`u     200   11 B   0.0ms`},
		{fetch.Result{Response: jsonResponse("application/json", `{"id":7}`), Elapsed: 0},
			`u     200    8 B   0.0ms`},
		{fetch.Result{Response: jsonResponse("application/json", `{"title":"`+long+`"}`), Elapsed: 2 * time.Second},
			`u     200   72 B  2000ms  "` + long[:39] + `…"`},
		{fetch.Result{Response: redirected, Elapsed: 0},
			`u     200   13 B   0.0ms  "x" (3 redirects)`},
		{fetch.Result{Err: &url.Error{Op: "Get", URL: "u", Err: errors.New("boom\nbang")}},
			`u     error: boom bang`},
		{fetch.Result{Err: &url.Error{Op: "Get", URL: "u", Err: &url.Error{Op: "parse", URL: "u", Err: errors.New("bad")}}},
			`u     error: parse "u": bad`},
		{fetch.Result{Err: errors.New("plain")},
			`u     error: plain`},
	} {
		if got := line("u", 4, tc.r); got != tc.want {
			t.Errorf("line:\n got %q\nwant %q", got, tc.want)
		}
	}
}

func TestMS(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0.0ms"},
		{40 * time.Microsecond, "0.0ms"},
		{950 * time.Microsecond, "0.9ms"}, // 0.95 is a hair below it in binary
		{9940 * time.Microsecond, "9.9ms"},
		{10 * time.Millisecond, "10ms"},
		{302600 * time.Microsecond, "303ms"},
		{10 * time.Second, "10000ms"},
	} {
		if got := ms(tc.d); got != tc.want {
			t.Errorf("ms(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// TestPrinterSummary: the counts, and "1 URL" in the singular.
func TestPrinterSummary(t *testing.T) {
	var b strings.Builder
	p := newPrinter(&b, []string{"a", "bb"})
	p.print(0, fetch.Result{Err: errors.New("x")})
	p.summary(5 * time.Millisecond)
	p2 := newPrinter(&b, []string{"a", "bb"})
	p2.print(0, fetch.Result{Err: errors.New("x")})
	p2.print(1, fetch.Result{Response: jsonResponse("", "")})
	p2.summary(50 * time.Millisecond)
	want := "a   error: x\n1 URL in 5.0ms: 0 answered, 1 failed\n" +
		"a   error: x\nbb  200    0 B   0.0ms\n2 URLs in 50ms: 1 answered, 1 failed\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestPrinterWidth: the first column is as wide as the longest name, up
// to maxNameWidth.
func TestPrinterWidth(t *testing.T) {
	long := strings.Repeat("x", 100)
	if p := newPrinter(nil, []string{"ab", "héllo"}); p.width != 5 {
		t.Errorf("width %d, want 5 (runes, not bytes)", p.width)
	}
	if p := newPrinter(nil, []string{"ab", long}); p.width != maxNameWidth {
		t.Errorf("width %d, want %d", p.width, maxNameWidth)
	}
}

// TestPrintable: a name with invalid UTF-8 or a byte a terminal would
// act on is printed quoted, with those bytes escaped; any other as is.
func TestPrintable(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"http://a/b", "http://a/b"},
		{"http://a/héllo", "http://a/héllo"},
		{"http://a/\xff", `"http://a/\xff"`},
		{"http://a/\x1b[2J", `"http://a/\x1b[2J"`},
		{"http://a/\tb", `"http://a/\tb"`},
	} {
		if got := cli.Printable(c.in); got != c.want {
			t.Errorf("cli.Printable(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}
