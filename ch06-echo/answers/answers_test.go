//go:build linux || darwin || freebsd || netbsd || openbsd

package answers

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch05-workstealing/schedtest"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// watchdog is how long a test waits for a task or a socket before it
// fails: long enough that a busy machine only makes the test slower.
const watchdog = 20 * time.Second

// serveOne starts a runtime of two workers, listens on an ephemeral
// loopback port, and spawns a task that accepts one connection and runs
// serve on it. It returns the address and the task's handle.
func serveOne[T any](t *testing.T, serve func(rt *sched.Runtime, c *tcp.Conn) future.Future[future.Result[T]]) (string, *sched.Runtime, *sched.JoinHandle[future.Result[T]]) {
	t.Helper()
	// The listener belongs to the task (tcp's rule), so it is closed only
	// once the runtime's shutdown has ended the task: this cleanup is
	// registered before schedtest.New's, and cleanups run last first.
	// A test that failed skips the shutdown, and leaves the socket open.
	var l *tcp.Listener
	t.Cleanup(func() {
		if l != nil && !t.Failed() {
			l.Close()
		}
	})
	rt := schedtest.New(t, 2, sched.New)
	l, err := tcp.Listen(rt.Reactor(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := sched.Spawn(rt, future.Then(l.Accept(),
		func(r future.Result[*tcp.Conn]) future.Future[future.Result[T]] {
			if r.Err != nil {
				return future.Ready(future.Err[T](r.Err))
			}
			return serve(rt, r.Value)
		}))
	return l.Addr().String(), rt, h
}

// result waits for h's task and returns what it was done with, failing
// the test if the task does not finish within the watchdog's time.
func result[T any](t *testing.T, h *sched.JoinHandle[future.Result[T]]) future.Result[T] {
	t.Helper()
	done := make(chan future.Result[future.Result[T]], 1)
	go func() { done <- executor.BlockOn[future.Result[future.Result[T]]](h) }()
	select {
	case r := <-done:
		if r.Err != nil {
			t.Fatalf("task: %v", r.Err)
		}
		return r.Value
	case <-time.After(watchdog):
		t.Fatalf("task not done after %v", watchdog)
		panic("unreachable")
	}
}

// dial connects to addr with package net, with a deadline that turns a
// hang on the client's side into an error.
func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(watchdog))
	return c.(*net.TCPConn)
}

// sendAll writes p in random pieces on another goroutine, then
// half-closes, and returns a channel with the write's error.
func sendAll(c *net.TCPConn, p []byte) <-chan error {
	errc := make(chan error, 1)
	go func() {
		for len(p) > 0 {
			n := min(len(p), 1+rand.IntN(64<<10))
			if _, err := c.Write(p[:n]); err != nil {
				errc <- err
				return
			}
			p = p[n:]
		}
		errc <- c.CloseWrite()
	}()
	return errc
}

// TestUpper sends text and a megabyte of random bytes in random pieces,
// half-closes, and checks that every byte comes back, ASCII letters
// upper-cased and nothing else changed, and that the server then closes.
func TestUpper(t *testing.T) {
	for _, size := range []int{0, 1, 1 << 20} {
		addr, _, h := serveOne(t, func(_ *sched.Runtime, c *tcp.Conn) future.Future[future.Result[int64]] {
			return Upper(c)
		})
		msg := make([]byte, size)
		for i := range msg {
			msg[i] = byte(rand.IntN(256))
		}
		msg = append([]byte("hello, World 123 é\n"), msg...)
		want := bytes.Clone(msg)
		for i, b := range want {
			if 'a' <= b && b <= 'z' {
				want[i] = b - 32
			}
		}
		c := dial(t, addr)
		errc := sendAll(c, msg)
		got, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("size %d: read: %v", size, err)
		}
		if err := <-errc; err != nil {
			t.Fatalf("size %d: write: %v", size, err)
		}
		if !bytes.HasPrefix(got, []byte("HELLO, WORLD 123 é\n")) || !bytes.Equal(got, want) {
			t.Fatalf("size %d: got %d bytes, want %d; first %q", size, len(got), len(want), got[:min(len(got), 24)])
		}
		if r := result(t, h); r.Err != nil || r.Value != int64(len(msg)) {
			t.Fatalf("size %d: task done with %v, want %d bytes and no error", size, r, len(msg))
		}
	}
}

// TestUpperAbort aborts the task while it waits to read: its Cancel
// closes the connection, and the client reads end of file.
func TestUpperAbort(t *testing.T) {
	addr, _, h := serveOne(t, func(_ *sched.Runtime, c *tcp.Conn) future.Future[future.Result[int64]] {
		return Upper(c)
	})
	c := dial(t, addr)
	if _, err := c.Write([]byte("ab")); err != nil {
		t.Fatal(err)
	}
	back := make([]byte, 2)
	if _, err := io.ReadFull(c, back); err != nil || string(back) != "AB" {
		t.Fatalf("got %q, %v; want \"AB\"", back, err)
	}
	h.Abort()
	if n, err := c.Read(back); err != io.EOF {
		t.Fatalf("after Abort the client read %d bytes and %v, want EOF", n, err)
	}
}

// TestReadFull sends 16 bytes one at a time; then 5 bytes and end of
// stream; then nothing but end of stream.
func TestReadFull(t *testing.T) {
	cases := []struct {
		send    string
		want    string
		wantErr error
	}{
		{"0123456789abcdef", "0123456789abcdef", nil},
		{"01234", "01234", io.ErrUnexpectedEOF},
		{"", "", io.EOF},
	}
	for _, tc := range cases {
		buf := make([]byte, 16)
		addr, _, h := serveOne(t, func(_ *sched.Runtime, c *tcp.Conn) future.Future[future.Result[int]] {
			return future.Map(ReadFull(c, buf), func(r future.Result[int]) future.Result[int] {
				c.Close()
				return r
			})
		})
		c := dial(t, addr)
		for i := range len(tc.send) {
			if _, err := c.Write([]byte{tc.send[i]}); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		r := result(t, h)
		if r.Err != tc.wantErr || string(buf[:r.Value]) != tc.want {
			t.Errorf("sent %q: got %q, %v; want %q, %v", tc.send, buf[:r.Value], r.Err, tc.want, tc.wantErr)
		}
	}
}

// TestSums sends lines of every kind, the last without its newline, and
// checks each answer.
func TestSums(t *testing.T) {
	addr, _, h := serveOne(t, func(_ *sched.Runtime, c *tcp.Conn) future.Future[future.Result[int]] {
		return Sums(c)
	})
	c := dial(t, addr)
	in := "1 2 3\n\n-5\t5\r\nx 1\n9223372036854775807 1\n40 2"
	want := "6\n0\n0\nerror: not an integer: \"x\"\nerror: the sum overflows int64\n42\n"
	errc := sendAll(c, []byte(in))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if r := result(t, h); r.Err != nil || r.Value != 6 {
		t.Errorf("task done with %v, want 6 lines and no error", r)
	}
}

// TestSumsLongLine sends a line, then a 1 MiB line: the first is answered,
// the second gets one clear error, and the client reads it and then end
// of file, not a reset, although it was still sending when the server
// gave up on the line.
func TestSumsLongLine(t *testing.T) {
	for range 5 {
		addr, _, h := serveOne(t, func(_ *sched.Runtime, c *tcp.Conn) future.Future[future.Result[int]] {
			return Sums(c)
		})
		c := dial(t, addr)
		errc := sendAll(c, append([]byte("1 1\n"), bytes.Repeat([]byte("7"), 1<<20)...))
		got, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("read: %v (after %q)", err, got)
		}
		if want := "2\nerror: line longer than 4096 bytes\n"; string(got) != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		if err := <-errc; err != nil {
			t.Fatalf("write: %v", err)
		}
		if r := result(t, h); !IsLineTooLong(r.Err) || r.Value != 1 {
			t.Fatalf("task done with %v, want 1 line and the line-too-long error", r)
		}
	}
}

// TestWriteWithin writes 64 MiB to a client that never reads, with a
// deadline: the kernel's buffers fill, the write waits, and the deadline
// ends it with part of the data sent. Then 4 MiB to a client that reads
// all of it, with a deadline far away: the write finishes.
func TestWriteWithin(t *testing.T) {
	t.Run("stuck", func(t *testing.T) {
		p := make([]byte, 64<<20)
		addr, _, h := serveOne(t, func(rt *sched.Runtime, c *tcp.Conn) future.Future[future.Result[int]] {
			return closeAfter(c, WriteWithin(c, p, 50*time.Millisecond, rt.Sleep))
		})
		dial(t, addr) // and never read
		r := result(t, h)
		if !errors.Is(r.Err, ErrWriteTimeout) || r.Value >= len(p) {
			t.Fatalf("done with %d bytes and %v, want fewer than %d and ErrWriteTimeout", r.Value, r.Err, len(p))
		}
		t.Logf("%d bytes sent before the deadline", r.Value)
	})
	t.Run("reader", func(t *testing.T) {
		p := bytes.Repeat([]byte("x"), 4<<20)
		addr, _, h := serveOne(t, func(rt *sched.Runtime, c *tcp.Conn) future.Future[future.Result[int]] {
			return closeAfter(c, WriteWithin(c, p, time.Hour, rt.Sleep))
		})
		c := dial(t, addr)
		n, err := io.Copy(io.Discard, c)
		if err != nil || n != int64(len(p)) {
			t.Fatalf("client read %d bytes, %v; want %d", n, err, len(p))
		}
		if r := result(t, h); r.Err != nil || r.Value != len(p) {
			t.Fatalf("done with %v, want %d bytes", r, len(p))
		}
	})
}

// closeAfter closes c when f is done, inside the task that owns c.
func closeAfter(c *tcp.Conn, f future.Future[future.Result[int]]) future.Future[future.Result[int]] {
	return future.Map(f, func(r future.Result[int]) future.Result[int] {
		c.Close()
		return r
	})
}

// TestAnswerLine checks the protocol's answers without a socket.
func TestAnswerLine(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "0\n",
		"  7  ":                   "7\n",
		"-9223372036854775808":    "-9223372036854775808\n",
		"-9223372036854775808 -1": "error: the sum overflows int64\n",
		"1 2x":                    "error: not an integer: \"2x\"\n",
	} {
		if got := string(answer(nil, []byte(in))); got != want {
			t.Errorf("answer(%q) = %q, want %q", in, got, want)
		}
	}
	if got := strings.Count(string(answer(nil, []byte("1 1"))), "\n"); got != 1 {
		t.Errorf("an answer has %d newlines, want 1", got)
	}
}
