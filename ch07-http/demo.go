package main

// The demo server: what the program fetches when it is given no URL, so
// that it runs offline and shows every kind of answer an HTTP client
// meets. It is written with net/http, the way a Go server usually is; the
// point of the chapter is the client. Most routes are well-behaved; the
// rest misbehave on purpose. /chunked and /truncated take the connection
// over (http.Hijacker) and write their bytes by hand, because net/http
// will not send chunk extensions or a body shorter than its
// Content-Length.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/cli"
)

// A todo is one item of the demo's to-do list, as JSON.
type todo struct {
	ID        int    `json:"id"`
	Title     string `json:"title"`
	Completed bool   `json:"completed"`
}

// todos are the items /todos/1 to /todos/10 serve: the book's own
// chapters, the ones done and the one under way.
var todos = []todo{
	{1, "count lines three ways", true},
	{2, "poll a future by hand", true},
	{3, "park an executor, not spin", true},
	{4, "wait for epoll to say ready", true},
	{5, "fire the earliest timer", true},
	{6, "steal half a run queue", true},
	{7, "echo bytes on a socket", true},
	{8, "parse a status line", false},
	{9, "read a chunked body", false},
	{10, "fetch ten todos at once", false},
}

// slowDelay is how long /slow takes to answer.
const slowDelay = 300 * time.Millisecond

// ANCHOR: demo-paths

// demoPaths are the URLs, on the demo server, that the program fetches
// when it is given none: ten todos, then one of each misbehaviour.
var demoPaths = []string{
	"/todos/1", "/todos/2", "/todos/3", "/todos/4", "/todos/5",
	"/todos/6", "/todos/7", "/todos/8", "/todos/9", "/todos/10",
	"/slow",      // answers after 300ms; the others do not wait for it
	"/todos/99",  // no such todo: 404, with a JSON error
	"/missing",   // 404
	"/error",     // 500
	"/redirect",  // 302 to /todos/1
	"/chunked",   // chunked, with chunk extensions and a trailer
	"/truncated", // promises 64 bytes, sends 20 and hangs up
}

// ANCHOR_END: demo-paths

// demoRoutes lists every route, for -serve to print: demoPaths' routes,
// three that the demo leaves out because they only end when the client
// gives up (/hang reads the request and never answers, /loop redirects
// to itself, and /unreachable, on Linux, redirects to a port that never
// completes a connection), and two more kinds of trouble: /malformed
// answers with a status line that has no code, and /to-https redirects
// to an https URL.
const demoRoutes = "/todos/{1-10} /slow /missing /error /redirect /chunked\n" +
	"  /truncated /hang /loop /unreachable /malformed /to-https"

// demoServer is the demo server, listening.
type demoServer struct {
	srv  *http.Server
	ln   net.Listener
	stop chan struct{} // closed by close: /slow and /hang give up
	done chan struct{} // closed when srv.Serve has returned

	fullOnce sync.Once
	fullAddr string // /unreachable's target, made on first use
	fullErr  error
	fullStop func()

	mu      sync.Mutex
	closed  bool
	running int        // handlers running
	idle    *sync.Cond // on mu: running fell to 0
}

// startDemo listens on addr and serves the demo routes on a goroutine of
// its own until close.
func startDemo(addr string) (*demoServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	d := &demoServer{ln: ln, stop: make(chan struct{}), done: make(chan struct{})}
	d.idle = sync.NewCond(&d.mu)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /todos/{id}", serveTodo)
	mux.HandleFunc("GET /slow", d.serveSlow)
	mux.HandleFunc("GET /missing", http.NotFound)
	mux.HandleFunc("GET /error", serveError)
	mux.HandleFunc("GET /redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/todos/1", http.StatusFound)
	})
	mux.HandleFunc("GET /loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("GET /chunked", serveChunked)
	mux.HandleFunc("GET /truncated", serveTruncated)
	mux.HandleFunc("GET /hang", d.serveHang)
	mux.HandleFunc("GET /unreachable", d.serveUnreachable)
	mux.HandleFunc("GET /malformed", serveMalformed)
	mux.HandleFunc("GET /to-https", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://"+r.Host+"/todos/1", http.StatusFound)
	})
	d.srv = &http.Server{
		Handler:           d.track(mux),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() {
		defer close(d.done)
		d.srv.Serve(ln) // returns http.ErrServerClosed after close
	}()
	return d, nil
}

// url returns the server's base URL, http://127.0.0.1:PORT.
func (d *demoServer) url() string { return "http://" + d.ln.Addr().String() }

// track counts the handlers running, so that close can wait for them
// (hijacked connections are not the server's to wait for).
func (d *demoServer) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return
		}
		d.running++
		d.mu.Unlock()
		defer func() {
			d.mu.Lock()
			d.running--
			if d.running == 0 {
				d.idle.Broadcast()
			}
			d.mu.Unlock()
		}()
		h.ServeHTTP(w, r)
	})
}

// close stops the server: it closes the listener and every connection,
// ends /slow's and /hang's waits, and returns once every handler has
// returned.
func (d *demoServer) close() error {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	close(d.stop)
	err := d.srv.Close()
	<-d.done
	d.mu.Lock()
	for d.running > 0 {
		d.idle.Wait()
	}
	d.mu.Unlock()
	d.fullOnce.Do(func() {}) // none made after this
	if d.fullStop != nil {
		d.fullStop()
	}
	return err
}

// writeJSON writes v as a JSON response with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	w.Write(b)
}

// serveTodo serves /todos/{id}: the todo, or a 404 with a JSON error.
func serveTodo(w http.ResponseWriter, r *http.Request) {
	s := r.PathValue("id")
	id, err := strconv.Atoi(s)
	if err != nil || strconv.Itoa(id) != s || id < 1 || id > len(todos) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no todo " + strconv.Quote(s)})
		return
	}
	writeJSON(w, http.StatusOK, todos[id-1])
}

// serveSlow answers like a todo, after slowDelay.
func (d *demoServer) serveSlow(w http.ResponseWriter, r *http.Request) {
	t := time.NewTimer(slowDelay)
	defer t.Stop()
	select {
	case <-t.C:
		writeJSON(w, http.StatusOK, todo{ID: 11, Title: "answer after 300ms"})
	case <-r.Context().Done():
	case <-d.stop:
	}
}

// serveError always fails.
func serveError(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "this route always fails", http.StatusInternalServerError)
}

// serveHang reads the request (the server did) and never answers, until
// the client hangs up or the server closes.
func (d *demoServer) serveHang(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-d.stop:
	}
}

// serveUnreachable redirects to a port that never completes a
// connection (listenFull), to show a connect timeout.
func (d *demoServer) serveUnreachable(w http.ResponseWriter, r *http.Request) {
	d.fullOnce.Do(func() {
		d.fullAddr, d.fullStop, d.fullErr = listenFull()
	})
	if d.fullErr != nil {
		http.Error(w, d.fullErr.Error(), http.StatusNotImplemented)
		return
	}
	http.Redirect(w, r, "http://"+d.fullAddr+"/", http.StatusFound)
}

// hijack takes the connection over from net/http, to write raw bytes.
func hijack(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, bool) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "cannot hijack the connection", http.StatusInternalServerError)
		return nil, nil, false
	}
	c, rw, err := hj.Hijack()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return nil, nil, false
	}
	c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c, rw, true
}

// ANCHOR: chunked

// serveChunked sends a todo as a chunked body, cut in three chunks, the
// size lines carrying chunk extensions (which a client must skip), and
// a trailer after the last chunk: a CRC-32 of the body, which a client
// can only know once it has read it all.
func serveChunked(w http.ResponseWriter, r *http.Request) {
	c, rw, ok := hijack(w)
	if !ok {
		return
	}
	defer c.Close()
	body, _ := json.Marshal(todo{ID: 12, Title: "skip a chunk extension"})
	cuts := []int{0, 10, 25, len(body)}
	fmt.Fprint(rw, "HTTP/1.1 200 OK\r\n"+
		"Content-Type: application/json\r\n"+
		"Transfer-Encoding: chunked\r\n"+
		"Trailer: Body-Crc32\r\n"+
		"Connection: close\r\n\r\n")
	for i := 1; i < len(cuts); i++ {
		chunk := body[cuts[i-1]:cuts[i]]
		fmt.Fprintf(rw, "%x;part=%d;of=\"%d\"\r\n%s\r\n", len(chunk), i, len(cuts)-1, chunk)
	}
	fmt.Fprintf(rw, "0;last\r\nBody-Crc32: %08x\r\n\r\n", crc32.ChecksumIEEE(body))
	rw.Flush()
}

// ANCHOR_END: chunked

// serveTruncated sends a response whose Content-Length promises 64
// bytes, sends 20 of them and closes the connection.
func serveTruncated(w http.ResponseWriter, r *http.Request) {
	c, rw, ok := hijack(w)
	if !ok {
		return
	}
	defer c.Close()
	fmt.Fprint(rw, "HTTP/1.1 200 OK\r\n"+
		"Content-Type: application/json\r\n"+
		"Content-Length: 64\r\n\r\n"+
		`{"id":13,"title":"cu`) // 20 bytes
	rw.Flush()
}

// serveMalformed answers with a status line that has no status code.
func serveMalformed(w http.ResponseWriter, r *http.Request) {
	c, rw, ok := hijack(w)
	if !ok {
		return
	}
	defer c.Close()
	fmt.Fprint(rw, "HTTP/1.1 OK\r\nContent-Length: 0\r\n\r\n")
	rw.Flush()
}

// serveDemo is -serve: the demo server on addr until a signal arrives.
// An error is cmd's one line, escaped: addr is the user's.
func serveDemo(addr string, cmd cli.Command, sigs <-chan os.Signal) int {
	d, err := startDemo(addr)
	if err != nil {
		return cmd.Fail(err)
	}
	fmt.Fprintf(cmd.Stdout, "serving the demo on %s until SIGINT or SIGTERM:\n  %s\n", d.url(), demoRoutes)
	<-sigs
	if err := d.close(); err != nil {
		return cmd.Fail(err)
	}
	return 0
}
