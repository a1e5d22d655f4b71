package main

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/asyncbook/asyncbook/ch02-futures/cli"
	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// The printer is shared by both clients: each hands it a fetch.Result
// per URL, in input order, on the main goroutine (the -std client turns
// net/http's answers into fetch.Results first). Printing happens there
// and nowhere else, because a write to standard output can block (a
// pipe to a slow reader, a terminal scrolled back) and a worker of the
// book's runtime must never block: it would stall every task queued
// behind it.

// maxNameWidth caps the first column: a longer URL pushes its line out
// instead of pushing every line out.
const maxNameWidth = 40

// maxTitle is the longest title printed, in runes.
const maxTitle = 40

// printer prints one line per URL, and the summary.
type printer struct {
	w        io.Writer
	names    []string // what each URL is called in its line
	width    int      // of the first column
	answered int      // URLs that got a response, of any status
	failed   int      // URLs that got an error
	err      error    // the first write error; printing stops there
}

// newPrinter returns a printer to w of lines named names[i].
func newPrinter(w io.Writer, names []string) *printer {
	p := &printer{w: w, names: make([]string, len(names))}
	for i, n := range names {
		p.names[i] = cli.Printable(n) // a URL from a file may hold anything
		p.width = max(p.width, min(utf8.RuneCountInString(p.names[i]), maxNameWidth))
	}
	return p
}

// ANCHOR: print

// print prints URL i's line. It returns false once a write has failed,
// to stop the fetch.
func (p *printer) print(i int, r fetch.Result) bool {
	if r.Err != nil {
		p.failed++
	} else {
		p.answered++
	}
	_, p.err = fmt.Fprintln(p.w, line(p.names[i], p.width, r))
	return p.err == nil
}

// summary prints the last line: how many URLs, how long, how they went.
func (p *printer) summary(elapsed time.Duration) error {
	n := p.answered + p.failed
	s := "s"
	if n == 1 {
		s = ""
	}
	_, err := fmt.Fprintf(p.w, "%d URL%s in %s: %d answered, %d failed\n",
		n, s, ms(elapsed), p.answered, p.failed)
	return err
}

// ANCHOR_END: print
// ANCHOR: line

// line formats one URL's result: name, status, body size, time and a
// JSON body's title; or name and error.
func line(name string, width int, r fetch.Result) string {
	if r.Err != nil {
		return fmt.Sprintf("%-*s  error: %s", width, name, errorText(r.Err))
	}
	resp := r.Response
	s := fmt.Sprintf("%-*s  %3d %6s %7s", width, name,
		resp.StatusCode, fmt.Sprintf("%d B", len(resp.Body)), ms(r.Elapsed))
	if t := title(resp); t != "" {
		s += "  " + t
	}
	switch resp.Redirects {
	case 0:
	case 1:
		s += " (1 redirect)"
	default:
		s += fmt.Sprintf(" (%d redirects)", resp.Redirects)
	}
	return s
}

// ANCHOR_END: line

// errorText is err without the "Get URL: " the clients put before it:
// the line names the URL already.
func errorText(err error) string {
	if ue, ok := err.(*url.Error); ok && ue.Op == "Get" && ue.Err != nil {
		err = ue.Err
	}
	return strings.Join(strings.Fields(err.Error()), " ") // one line
}

// title returns the "title" field of a JSON body, quoted and cut at
// maxTitle runes, or "" if it has none; "(invalid JSON)" if the body
// says it is JSON and is not.
func title(resp *fetch.Response) string {
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return ""
	}
	var v struct {
		Title *string `json:"title"`
	}
	if err := json.Unmarshal(resp.Body, &v); err != nil {
		if _, ok := err.(*json.UnmarshalTypeError); ok {
			return "" // JSON, but not an object with a string title
		}
		return "(invalid JSON)"
	}
	if v.Title == nil {
		return ""
	}
	t := *v.Title
	if utf8.RuneCountInString(t) > maxTitle {
		t = string([]rune(t)[:maxTitle-1]) + "…"
	}
	return strconv.Quote(t)
}

// ms formats d in milliseconds: one decimal below 10ms, none above.
func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	if f < 10 {
		return strconv.FormatFloat(f, 'f', 1, 64) + "ms"
	}
	return strconv.FormatFloat(f, 'f', 0, 64) + "ms"
}
