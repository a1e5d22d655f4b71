package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// readEvent reads one Server-Sent Event from r: its event name and data.
func readEvent(t *testing.T, r *bufio.Reader) (event, data string) {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the event stream: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && event != "":
			return event, data
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
}

// servedBook is a copy of a fixture book served on a loopback port.
type servedBook struct {
	root string // the copy's directory
	base string // the server's URL, with no slash at the end
	// stop ends serve and returns what it returned; the test's cleanup
	// calls it too.
	stop func() error
}

// serveFixture serves a copy of the fixture book testdata/name on a free
// loopback port, as serve does for a reader, until stop or the test's end.
func serveFixture(t *testing.T, name string) *servedBook {
	t.Helper()
	root, _ := unpackFixture(t, filepath.Join("testdata", name))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, root, ln, io.Discard) }()
	stop := sync.OnceValue(func() error {
		cancel()
		return <-served
	})
	t.Cleanup(func() { stop() })
	return &servedBook{root: root, base: "http://" + ln.Addr().String(), stop: stop}
}

// editLine is the line editChapter adds under chapter 1's title.
const editLine = "An edit while serving."

// editChapter writes editLine under the title of the served book's
// chapter 1, as a reader's editor would.
func (b *servedBook) editChapter(t *testing.T) {
	t.Helper()
	ch01 := filepath.Join(b.root, "book", "ch01.md")
	data, err := os.ReadFile(ch01)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), "# Chapter 1\n", "# Chapter 1\n\n"+editLine+"\n", 1)
	if edited == string(data) {
		t.Fatalf("%s has no line # Chapter 1 to edit under", ch01)
	}
	if err := os.WriteFile(ch01, []byte(edited), 0o666); err != nil {
		t.Fatal(err)
	}
}

// TestServeReloads serves a copy of a book on a real port, edits a page
// and checks that an open page's event stream says reload and that the
// page it then gets has the edit; then it stops the server and checks
// that serve returns and the stream ends.
func TestServeReloads(t *testing.T) {
	book := serveFixture(t, "good-book.txtar")
	base := book.base

	// A page has the script that listens for reloads, told its build.
	page := get(t, base+"/ch01.html")
	if !regexp.MustCompile(`<script src="/__book/reload.js" data-build="[0-9]+"></script></body>`).MatchString(page) {
		t.Errorf("the page has no reload script naming its build before </body>:\n%s", page)
	}
	if js := get(t, base+"/__book/reload.js"); !strings.Contains(js, `new EventSource("/__book/events")`) {
		t.Errorf("reload.js:\n%s", js)
	}

	// A stream that never sends fails the test after two minutes, not at
	// go test's timeout: far longer than a rebuild takes on a busy machine.
	rctx, rcancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer rcancel()
	req, err := http.NewRequestWithContext(rctx, "GET", base+"/__book/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("events Content-Type %q", ct)
	}
	events := bufio.NewReader(resp.Body)
	ev, first := readEvent(t, events)
	if ev != "hello" || first == "" {
		t.Fatalf("first event %q %q, want hello and the build", ev, first)
	}

	book.editChapter(t)
	ev, second := readEvent(t, events)
	if ev != "reload" || second == first {
		t.Fatalf("after an edit: event %q %q, want reload and a new build", ev, second)
	}
	if page := get(t, base+"/ch01.html"); !strings.Contains(page, editLine) {
		t.Errorf("after the reload event the page has no edit")
	}

	if err := book.stop(); err != nil {
		t.Errorf("serve after its context ended: %v", err)
	}
	if _, err := io.ReadAll(events); err != nil && !strings.Contains(err.Error(), "EOF") {
		t.Logf("the stream ended with %v", err)
	}
}

// get returns the body of url.
func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// TestServe404 checks that a path with no file gets the book's 404.html,
// with status 404, when the build has one, and a plain 404 when not.
func TestServe404(t *testing.T) {
	srv := newServer()
	srv.set(&site{files: map[string][]byte{"index.html": []byte("<body>home</body>")}}, nil)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/nope.html", nil))
	if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "lost") {
		t.Errorf("no 404.html: %d %q", rec.Code, rec.Body)
	}
	srv.set(&site{files: map[string][]byte{"404.html": []byte("<body>lost</body>")}}, nil)
	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/nope.html", nil))
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "lost") ||
		rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("with 404.html: %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
}
