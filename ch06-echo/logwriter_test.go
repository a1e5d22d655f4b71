package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
)

// stuckWriter passes the first pass writes on to w, then blocks every
// write until release is closed, as a pipe nobody reads does once its
// buffer is full. stuck is closed when the first write blocks.
type stuckWriter struct {
	w       io.Writer
	pass    int
	release chan struct{}
	stuck   chan struct{}
	once    sync.Once
	mu      sync.Mutex
	n       int
}

func newStuckWriter(w io.Writer, pass int) *stuckWriter {
	return &stuckWriter{w: w, pass: pass, release: make(chan struct{}), stuck: make(chan struct{})}
}

func (s *stuckWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.n++
	passing := s.n <= s.pass
	s.mu.Unlock()
	if !passing {
		s.once.Do(func() { close(s.stuck) })
		<-s.release
	}
	return s.w.Write(p)
}

// TestLogWriterDrops writes ten lines to a standard error that takes
// none: no Write may block; the first line waits in the writer's
// goroutine, the next four in the queue, and the last five are dropped
// and counted. Once standard error moves, the five kept arrive in order.
func TestLogWriterDrops(t *testing.T) {
	var got lockedBuffer
	sw := newStuckWriter(&got, 0)
	lw := newLogWriter(sw, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		fmt.Fprintf(lw, "line 1\n")
		<-sw.stuck // the goroutine holds line 1 in a blocked write
		for i := 2; i <= 10; i++ {
			fmt.Fprintf(lw, "line %d\n", i)
		}
	}()
	reactortest.Await(t, done, nil, "ten log writes to a standard error that takes none")
	if n := lw.dropped.Load(); n != 5 {
		t.Errorf("dropped %d lines, want 5", n)
	}
	close(sw.release)
	closed := make(chan bool, 1)
	go func() { closed <- lw.close(reactortest.StallLimit) }()
	if !<-closed {
		t.Fatal("the queued lines were not written after standard error moved again")
	}
	if want := "line 1\nline 2\nline 3\nline 4\nline 5\n"; got.String() != want {
		t.Errorf("written %q, want %q", got.String(), want)
	}
}

// TestStuckStderr runs each server with -v and a standard error that
// stops taking lines after the first (a pipe nobody reads): 100
// connections must still be echoed, one after another, and a signal
// must still stop the server, which then counts the lines it dropped.
// Before the log writer, a log line blocked the server, the book's at
// its first connection.
func TestStuckStderr(t *testing.T) {
	forModes(t, func(t *testing.T, mode []string) {
		needReactor(t, mode)
		first := newLogWatch()
		sw := newStuckWriter(first, 1)
		defer close(sw.release)
		sigs := make(chan os.Signal, 1)
		exited := make(chan int, 1)
		args := append([]string{"-addr", "127.0.0.1:0", "-v"}, mode...)
		go func() { exited <- runWith(args, io.Discard, sw, sigs) }()
		s := &testServer{log: first, exited: make(chan struct{})}
		_, m := s.waitLog(t, 0, `^level=INFO msg=listening addr=(\S+) `)
		done := make(chan error, 1)
		go func() {
			for i := range 100 {
				c, err := net.Dial("tcp", m[1])
				if err != nil {
					done <- err
					return
				}
				msg := fmt.Sprintf("connection %d\n", i)
				_, err = io.WriteString(c, msg)
				if err == nil {
					var back string
					back, err = bufio.NewReader(c).ReadString('\n')
					if err == nil && back != msg {
						err = fmt.Errorf("echo %q, want %q", back, msg)
					}
				}
				c.Close()
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		if err := recvErr(t, done); err != nil {
			t.Fatal(err)
		}
		sigs <- syscall.SIGTERM
		stopped := make(chan struct{})
		var code int
		go func() { code = <-exited; close(stopped) }()
		reactortest.Await(t, stopped, nil, "the server to stop with its standard error stuck")
		if code != 0 {
			t.Errorf("exit status %d, want 0", code)
		}
		if !strings.Contains(strings.Join(first.snapshot(), "\n"), "listening") {
			t.Error("the first line never arrived")
		}
	})
}

// recvErr waits for the clients' verdict, failing the test after
// StallLimit.
func recvErr(t *testing.T, ch <-chan error) error {
	t.Helper()
	done := make(chan struct{})
	var err error
	go func() { err = <-ch; close(done) }()
	reactortest.Await(t, done, nil, "100 connections echoed with standard error stuck")
	return err
}
