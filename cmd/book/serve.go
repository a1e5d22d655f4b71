package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// reloadJS is the script serve adds to every page it serves: it listens
// to eventsPath and reloads the page after each rebuild.
//
//go:embed reload.js
var reloadJS []byte

// The paths of the live-reload script and its event stream. They are
// under a directory no book file can have, as mdBook's serve does.
const (
	reloadPath = "/__book/reload.js"
	eventsPath = "/__book/events"
)

// reloadTag returns what serve adds before </body> of every page: the
// script, told which build the page comes from, so that a page served
// just before a rebuild reloads when its event stream connects after it.
func reloadTag(build string) []byte {
	return []byte(`<script src="` + reloadPath + `" data-build="` + html.EscapeString(build) + `"></script>`)
}

// server serves the last good build and the problem of the last build.
type server struct {
	mu      sync.Mutex
	good    *site         // nil until a build succeeds
	err     error         // the last build's problem, or nil
	build   string        // names the last build, for the event stream
	changed chan struct{} // closed, and replaced, at each new build
}

func newServer() *server {
	return &server{changed: make(chan struct{})}
}

// set records the result of a build and tells every open page.
func (srv *server) set(s *site, err error) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.err = err
	if err == nil {
		srv.good = s
	}
	srv.build = fmt.Sprintf("%d", time.Now().UnixNano())
	close(srv.changed)
	srv.changed = make(chan struct{})
}

// serveCmd serves the book in root on addr until SIGINT or SIGTERM. It
// takes the address first, so a port in use costs no build.
func serveCmd(root, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("book serve: %s is in use; use -addr to serve on another address, e.g. -addr %s", addr, nextPort(addr))
		}
		return fmt.Errorf("book serve: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, root, ln, os.Stdout); err != nil {
		return err
	}
	fmt.Println("book serve: stopped")
	return nil
}

// nextPort returns addr with the port after its own, 127.0.0.1:3001 for
// 127.0.0.1:3000, as a suggestion.
func nextPort(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	n, err2 := strconv.Atoi(port)
	if err != nil || err2 != nil || n >= 65535 {
		return "127.0.0.1:3001"
	}
	return net.JoinHostPort(host, strconv.Itoa(n+1))
}

// serve builds the book, serves it on ln and rebuilds it whenever a file
// it depends on changes, printing one line per build to out, until ctx is
// done. Open pages reload after each build.
func serve(ctx context.Context, root string, ln net.Listener, out io.Writer) error {
	defer ln.Close()
	srv := newServer()
	watcher, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("book serve: %v", err)
	}
	defer watcher.Close()
	rebuild := func() string {
		start := time.Now()
		s, err := build(root)
		if s != nil {
			watchAll(watcher, s.watch)
		}
		srv.set(s, err)
		if err != nil {
			lines := strings.Split(err.Error(), "\n")
			more := ""
			if len(lines) > 1 {
				more = fmt.Sprintf(" (and %d more; see the page)", len(lines)-1)
			}
			return fmt.Sprintf("build failed, still serving the last good build: %s%s", lines[0], more)
		}
		return fmt.Sprintf("built %d pages in %v", len(s.pages), time.Since(start).Round(time.Millisecond))
	}
	fmt.Fprintln(out, rebuild())
	fmt.Fprintf(out, "serving the book on http://%s/ (Ctrl-C stops)\n", ln.Addr())

	watched := make(chan struct{})
	go func() {
		defer close(watched)
		// Editors write a file in several steps: wait for a quiet spell,
		// then rebuild once.
		var quiet <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-watcher.Events:
				if !ok {
					return
				}
				if ev.Op == fsnotify.Chmod {
					continue
				}
				quiet = time.After(150 * time.Millisecond)
			case err, ok := <-watcher.Errors:
				if !ok {
					return
				}
				fmt.Fprintln(out, "watching files:", err)
			case <-quiet:
				quiet = nil
				fmt.Fprintln(out, rebuild())
			}
		}
	}()
	hs := &http.Server{Handler: srv, BaseContext: func(net.Listener) context.Context { return ctx }}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err = <-served:
	case <-ctx.Done():
		// The event streams end with ctx; give other requests a moment.
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
		err = nil
	}
	<-watched
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("book serve: %v", err)
	}
	return nil
}

// watchAll watches the directory of every file among paths, and every
// directory of the trees among them (the book's own directory).
func watchAll(w *fsnotify.Watcher, paths []string) {
	for _, p := range paths {
		if fileExists(p) {
			w.Add(filepath.Dir(p))
			continue
		}
		filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				w.Add(q)
			}
			return nil
		})
	}
}

// events streams Server-Sent Events to a page: "hello" with the current
// build when it connects, then "reload" after each build, until the page
// goes away or the server stops.
func (srv *server) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "no streaming", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	srv.mu.Lock()
	build, changed := srv.build, srv.changed
	srv.mu.Unlock()
	fmt.Fprintf(w, "retry: 1000\nevent: hello\ndata: %s\n\n", build)
	flusher.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-changed:
		}
		srv.mu.Lock()
		build, changed = srv.build, srv.changed
		srv.mu.Unlock()
		if _, err := fmt.Fprintf(w, "event: reload\ndata: %s\n\n", build); err != nil {
			return
		}
		flusher.Flush()
	}
}

// ServeHTTP serves a file of the last good build, with the last build's
// problem shown at the top of every page and the live-reload script at
// its end; a path with no file gets the book's 404.html, if it has one.
func (srv *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case eventsPath:
		srv.events(w, r)
		return
	case reloadPath:
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(reloadJS)
		return
	}
	srv.mu.Lock()
	good, berr, build := srv.good, srv.err, srv.build
	srv.mu.Unlock()
	banner := ""
	if berr != nil {
		banner = `<pre class="build-error" id="build-error">` + html.EscapeString(berr.Error()) + "</pre>"
	}
	if good == nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "<!DOCTYPE html><title>The book does not build</title><style>.build-error{white-space:pre-wrap;color:#8b1a1a}</style><body>%s%s</body>", banner, reloadTag(build))
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" || strings.HasSuffix(r.URL.Path, "/") {
		name = path.Join(name, "index.html")
	}
	status := http.StatusOK
	data, ok := good.files[name]
	if !ok {
		if data, ok = good.files["404.html"]; !ok {
			http.NotFound(w, r)
			return
		}
		name, status = "404.html", http.StatusNotFound
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = http.DetectContentType(data)
	}
	if strings.HasSuffix(name, ".txt") {
		ctype = "text/plain; charset=utf-8"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-store")
	if strings.HasSuffix(name, ".html") {
		if banner != "" {
			data = bytes.Replace(data, []byte("<body>"), []byte("<body>\n"+banner), 1)
		}
		if i := bytes.LastIndex(data, []byte("</body>")); i >= 0 {
			data = append(append(append([]byte(nil), data[:i]...), reloadTag(build)...), data[i:]...)
		}
	}
	w.WriteHeader(status)
	w.Write(data)
}

// errNoFigures is returned when the book has no figure data files.
var errNoFigures = errors.New("book: no figure data files book/figures/*.txt")
