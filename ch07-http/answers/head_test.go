//go:build linux || darwin || freebsd || netbsd || openbsd

package answers

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch07-http/fetch"
)

// TestHead asks net/http's server for the header of a 1,000-byte file
// and of a page that does not exist. The server keeps the connection
// open after each answer, so a Head that waited for the 1,000 bytes the
// header announces would wait until the watchdog.
func TestHead(t *testing.T) {
	rt, _ := newClient(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/file" {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodHead {
			t.Errorf("method %s, want HEAD", r.Method)
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(strings.Repeat("x", 1000))) // HEAD: net/http sends only the length
	}))
	defer srv.Close()
	r := await(t, rt, Head(rt.Reactor(), srv.URL+"/file"))
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	h := r.Value
	if h.StatusCode != 200 || h.Status != "200 OK" || h.Header.Get("Content-Length") != "1000" ||
		h.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("HEAD /file: %d %q %v, want 200 OK with Content-Length 1000", h.StatusCode, h.Status, h.Header)
	}
	r = await(t, rt, Head(rt.Reactor(), srv.URL+"/nope"))
	if r.Err != nil || r.Value.StatusCode != 404 {
		t.Errorf("HEAD /nope: %+v, want a 404", r)
	}
}

// TestGetWaitsForHeadBody shows why Get's parser cannot read an answer
// to HEAD: given the same bytes (a header that announces 1,000 bytes,
// and no body, on a connection that stays open), it waits for the body
// until its timeout. Head reads the same bytes and is done.
func TestGetWaitsForHeadBody(t *testing.T) {
	rt, c := newClient(t)
	addr := headLikeServer(t)
	c.Timeout = 100 * time.Millisecond
	r := await(t, rt, c.Get("http://"+addr+"/"))
	if !errors.Is(r.Err, fetch.ErrTimeout) {
		t.Errorf("Get: %v, %v; want a timeout", r.Value, r.Err)
	}
	h := await(t, rt, Head(rt.Reactor(), "http://"+addr+"/"))
	if h.Err != nil || h.Value.Header.Get("Content-Length") != "1000" {
		t.Errorf("Head: %+v, want Content-Length 1000", h)
	}
}

// headLikeServer answers every request on a connection with what a
// server answers to HEAD for a 1,000-byte page, and keeps the
// connection open until the test ends.
func headLikeServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			go func() {
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					req.Body.Close()
					c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n"))
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done // conns is the accept loop's until it ends
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// TestHeadErrors checks that Head fails cleanly: an https URL, nobody
// listening, a server that hangs up before its header ends, and a
// status line that is not one.
func TestHeadErrors(t *testing.T) {
	rt, _ := newClient(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := ln.Addr().String()
	ln.Close()
	for _, tc := range []struct {
		name, answer, want string
	}{
		{"https", "", "unsupported protocol scheme"},
		{"refused", "", "refused"},
		{"cut", "HTTP/1.1 200 OK\r\nContent-Le", "before the header ended"},
		{"bad", "HTTP/1.1 2OO OK\r\n\r\n", "malformed status line"},
		{"long", "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("y", 70<<10), "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := "http://" + refused + "/"
			switch tc.name {
			case "https":
				u = "https://127.0.0.1/"
			case "refused":
			default:
				u = "http://" + rawServer(t, tc.answer) + "/"
			}
			r := await(t, rt, Head(rt.Reactor(), u))
			if r.Err == nil || !strings.Contains(r.Err.Error(), tc.want) {
				t.Errorf("Head: %+v, want an error with %q", r, tc.want)
			}
		})
	}
}

// TestHeadSkipsInterim checks that a 100 Continue before the answer is
// skipped, as the client's parser skips it.
func TestHeadSkipsInterim(t *testing.T) {
	rt, _ := newClient(t)
	addr := rawServer(t, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nX-Real: yes\r\n\r\n")
	r := await(t, rt, Head(rt.Reactor(), "http://"+addr+"/"))
	if r.Err != nil || r.Value.StatusCode != 204 || r.Value.Header.Get("X-Real") != "yes" {
		t.Errorf("Head: %+v, want the 204 after the 100", r)
	}
}

// rawServer answers one connection's request with answer and closes it.
func rawServer(t *testing.T, answer string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		c.Write([]byte(answer))
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}
