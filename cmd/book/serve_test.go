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
	"strings"
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

// TestServeReloads serves a copy of a book on a real port, edits a page
// and checks that an open page's event stream says reload and that the
// page it then gets has the edit; then it stops the server and checks
// that serve returns and the stream ends.
func TestServeReloads(t *testing.T) {
	root, _ := unpackFixture(t, filepath.Join("testdata", "good-book.txtar"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- serve(ctx, root, ln, io.Discard) }()
	base := "http://" + ln.Addr().String()

	// A page has the script that listens for reloads.
	page := get(t, base+"/ch01.html")
	if !strings.Contains(page, `<script src="/__book/reload.js"></script></body>`) {
		t.Errorf("the page has no reload script before </body>:\n%s", page)
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

	ch01 := filepath.Join(root, "book", "ch01.md")
	data, err := os.ReadFile(ch01)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), "# Chapter 1\n", "# Chapter 1\n\nAn edit while serving.\n", 1)
	if err := os.WriteFile(ch01, []byte(edited), 0o666); err != nil {
		t.Fatal(err)
	}
	ev, second := readEvent(t, events)
	if ev != "reload" || second == first {
		t.Fatalf("after an edit: event %q %q, want reload and a new build", ev, second)
	}
	if page := get(t, base+"/ch01.html"); !strings.Contains(page, "An edit while serving.") {
		t.Errorf("after the reload event the page has no edit")
	}

	cancel()
	if err := <-served; err != nil {
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
