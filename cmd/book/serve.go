package main

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// server serves the last good build and the problem of the last build.
type server struct {
	mu   sync.Mutex
	good *site // nil until a build succeeds
	err  error // the last build's problem, or nil
}

// serve builds the book, serves it on addr and rebuilds it whenever a file
// it depends on changes, printing one line per rebuild.
func serve(root, addr string) error {
	srv := new(server)
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
		srv.mu.Lock()
		defer srv.mu.Unlock()
		srv.err = err
		if err != nil {
			lines := strings.Split(err.Error(), "\n")
			more := ""
			if len(lines) > 1 {
				more = fmt.Sprintf(" (and %d more; see the page)", len(lines)-1)
			}
			return fmt.Sprintf("build failed, still serving the last good build: %s%s", lines[0], more)
		}
		srv.good = s
		return fmt.Sprintf("built %d pages in %v", len(s.pages), time.Since(start).Round(time.Millisecond))
	}
	fmt.Println(rebuild())

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("book serve: %v", err)
	}
	fmt.Printf("serving the book on http://%s/ (Ctrl-C stops)\n", ln.Addr())
	go func() {
		// Editors write a file in several steps: wait for a quiet spell,
		// then rebuild once.
		var quiet <-chan time.Time
		for {
			select {
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
				fmt.Println("watching files:", err)
			case <-quiet:
				quiet = nil
				fmt.Println(rebuild())
			}
		}
	}()
	return http.Serve(ln, srv)
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

// ServeHTTP serves a file of the last good build, with the last build's
// problem shown at the top of every page.
func (srv *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	srv.mu.Lock()
	good, berr := srv.good, srv.err
	srv.mu.Unlock()
	banner := ""
	if berr != nil {
		banner = `<pre class="build-error" id="build-error">` + html.EscapeString(berr.Error()) + "</pre>"
	}
	if good == nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "<!DOCTYPE html><title>The book does not build</title><style>.build-error{white-space:pre-wrap;color:#8b1a1a}</style>%s", banner)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" || strings.HasSuffix(r.URL.Path, "/") {
		name = path.Join(name, "index.html")
	}
	data, ok := good.files[name]
	if !ok {
		http.NotFound(w, r)
		return
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
	if banner != "" && strings.HasSuffix(name, ".html") {
		data = bytes.Replace(data, []byte("<body>"), []byte("<body>\n"+banner), 1)
	}
	w.Write(data)
}

// errNoFigures is returned when the book has no figure data files.
var errNoFigures = errors.New("book: no figure data files book/figures/*.txt")
