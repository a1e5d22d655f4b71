package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
)

// The servers are tested in this process: runWith takes its signals from
// a channel the test sends on, and its log goes to a logWatch, from which
// the test learns the port (the start line names it) and waits for what
// the server did, in the order it did it. Nothing here sleeps to wait for
// the server: every wait is for a log line, a byte, or the end of run,
// under a watchdog (reactortest.StallLimit without progress).

// modes are the servers, by the flags that choose them: the book's, the
// book's with its idle worker asleep in Go's netpoller, and -std.
var modes = []struct {
	name  string
	flags []string
}{
	{"book", nil},
	{"netpoller", []string{"-netpoller"}},
	{"std", []string{"-std"}},
}

// isStd reports whether mode is the -std server's.
func isStd(mode []string) bool { return slices.Contains(mode, "-std") }

// forModes runs f as a subtest for each server.
func forModes(t *testing.T, f func(t *testing.T, mode []string)) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) { f(t, m.flags) })
	}
}

// logWatch is a server's standard error: it keeps the lines and lets a
// test wait for one that matches.
type logWatch struct {
	mu      sync.Mutex
	partial []byte
	lines   []string
	grew    chan struct{} // closed, and replaced, when a line is added
}

func newLogWatch() *logWatch { return &logWatch{grew: make(chan struct{})} }

func (w *logWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	added := false
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.lines = append(w.lines, string(w.partial[:i]))
		w.partial = w.partial[i+1:]
		added = true
	}
	if added {
		close(w.grew)
		w.grew = make(chan struct{})
	}
	return len(p), nil
}

// snapshot returns the lines so far (a partial line too, marked).
func (w *logWatch) snapshot() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := append([]string(nil), w.lines...)
	if len(w.partial) > 0 {
		l = append(l, string(w.partial)+" [no newline]")
	}
	return l
}

// find returns the index of the first line at or after from that matches
// re, with its submatches, or -1.
func (w *logWatch) find(from int, re *regexp.Regexp) (int, []string, chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := from; i < len(w.lines); i++ {
		if m := re.FindStringSubmatch(w.lines[i]); m != nil {
			return i, m, nil
		}
	}
	return -1, nil, w.grew
}

// testServer is one run of the program's server in this process.
type testServer struct {
	addr   string
	log    *logWatch
	stdout lockedBuffer
	sigs   chan os.Signal
	exited chan struct{} // closed when run has returned code
	code   int
}

// lockedBuffer is reactortest's.
type lockedBuffer = reactortest.LockedBuffer

// needReactor skips a test of the book's server where it cannot run.
func needReactor(t *testing.T, mode []string) {
	t.Helper()
	if isStd(mode) {
		return
	}
	r, err := reactor.New()
	if errors.Is(err, reactor.ErrUnsupported) {
		t.Skipf("the book's server needs epoll or kqueue: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
}

// startServer runs the server with mode's flags and args, on an
// ephemeral port of 127.0.0.1 and with debug logs, and waits until it
// listens. If the test ends with the server still running, it is stopped.
func startServer(t *testing.T, mode []string, args ...string) *testServer {
	t.Helper()
	return startServerLog(t, mode, []string{"-v"}, args...)
}

// startServerLog is startServer with the logging flags given (none: the
// server logs only its start and stop, and keeps no line per connection
// in the test's memory).
func startServerLog(t *testing.T, mode, logFlags []string, args ...string) *testServer {
	t.Helper()
	needReactor(t, mode)
	s := &testServer{log: newLogWatch(), sigs: make(chan os.Signal, 4), exited: make(chan struct{})}
	all := append([]string{"-addr", "127.0.0.1:0"}, logFlags...)
	all = append(all, mode...)
	all = append(all, args...)
	go func() {
		defer close(s.exited)
		s.code = runWith(all, &s.stdout, s.log, s.sigs)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
			return
		default:
		}
		s.sigs <- syscall.SIGTERM
		s.sigs <- syscall.SIGTERM
		select {
		case <-s.exited:
		case <-time.After(reactortest.StallLimit):
			t.Errorf("the server did not stop after two signals; its log:\n%s",
				strings.Join(s.log.snapshot(), "\n"))
		}
	})
	_, m := s.waitLog(t, 0, `^level=INFO msg=listening addr=(\S+) runtime=(\S+) workers=\d+$`)
	s.addr = m[1]
	want := "book"
	if isStd(mode) {
		want = "go"
	}
	if m[2] != want {
		t.Fatalf("runtime=%s in the start line, want %s", m[2], want)
	}
	return s
}

// waitLog waits for a log line at or after index from that matches the
// regular expression pattern, and returns its index and submatches. It
// fails the test if the server exits first, or if no line is logged for
// StallLimit.
func (s *testServer) waitLog(t *testing.T, from int, pattern string) (int, []string) {
	t.Helper()
	re := regexp.MustCompile(pattern)
	for {
		i, m, grew := s.log.find(from, re)
		if i >= 0 {
			return i, m
		}
		select {
		case <-grew:
		case <-s.exited:
			if i, m, _ := s.log.find(from, re); i >= 0 {
				return i, m
			}
			t.Fatalf("the server exited (status %d) before logging %q; its log:\n%s",
				s.code, pattern, strings.Join(s.log.snapshot(), "\n"))
		case <-time.After(reactortest.StallLimit):
			t.Fatalf("no log line %q after %v; the log:\n%s",
				pattern, reactortest.StallLimit, strings.Join(s.log.snapshot(), "\n"))
		}
	}
}

// wait waits for run to return and returns its exit status.
func (s *testServer) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-s.exited:
	case <-time.After(reactortest.StallLimit):
		t.Fatalf("the server has not exited after %v; its log:\n%s",
			reactortest.StallLimit, strings.Join(s.log.snapshot(), "\n"))
	}
	if out := s.stdout.String(); out != "" {
		t.Errorf("the server wrote to stdout: %q", out)
	}
	return s.code
}

// dial connects to the server; it must not fail.
func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, reactortest.StallLimit)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// roundTrip writes msg and reads it back. Each call has StallLimit: a
// watchdog, for a few bytes over loopback.
func roundTrip(c net.Conn, msg string) error {
	c.SetDeadline(time.Now().Add(reactortest.StallLimit))
	defer c.SetDeadline(time.Time{})
	if _, err := io.WriteString(c, msg); err != nil {
		return err
	}
	back := make([]byte, len(msg))
	if _, err := io.ReadFull(c, back); err != nil {
		return fmt.Errorf("reading the echo of %d bytes: %w", len(msg), err)
	}
	if string(back) != msg {
		return fmt.Errorf("echo %q, want %q", back, msg)
	}
	return nil
}

// finish half-closes c and reads until the server closes its side too;
// whatever comes back before that is returned.
func finish(c *net.TCPConn) ([]byte, error) {
	if err := c.CloseWrite(); err != nil {
		return nil, err
	}
	return readToEOF(c)
}

// readToEOF reads c until end of file, with StallLimit per read as a
// watchdog: a long stream may take long, a stalled one fails.
func readToEOF(c net.Conn) ([]byte, error) {
	var got []byte
	buf := make([]byte, 32<<10)
	for {
		c.SetReadDeadline(time.Now().Add(reactortest.StallLimit))
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
	}
}

// stop sends SIGTERM and returns the exit status.
func (s *testServer) stop(t *testing.T) int {
	t.Helper()
	s.sigs <- syscall.SIGTERM
	return s.wait(t)
}

// stopLine is the last line a server logs.
const stopLine = `^level=INFO msg=stopped served=(\d+) open=(\d+) shutdown=(\w+)$`

func TestEchoPayloads(t *testing.T) {
	forModes(t, func(t *testing.T, mode []string) {
		s := startServer(t, mode)
		rng := rand.New(rand.NewPCG(6, 6))
		sizes := []int{0, 1, 4 << 10, 64 << 10, 1 << 20}
		for _, size := range sizes {
			payload := make([]byte, size)
			for i := range payload {
				payload[i] = byte(rng.Uint32())
			}
			c := dial(t, s.addr)
			// The writer runs beside the reader: the server stops reading
			// while its echo cannot be written, so a client that wrote
			// everything before reading would wait for ever.
			werr := make(chan error, 1)
			go func() {
				rest := payload
				for len(rest) > 0 {
					n := min(len(rest), 1+rng.IntN(20<<10)) // random splits
					c.SetWriteDeadline(time.Now().Add(reactortest.StallLimit))
					if _, err := c.Write(rest[:n]); err != nil {
						werr <- err
						return
					}
					rest = rest[n:]
				}
				werr <- c.CloseWrite()
			}()
			got, err := readToEOF(c)
			if err != nil {
				t.Fatalf("%d bytes: %v after %d bytes; log:\n%s", size, err, len(got), strings.Join(s.log.snapshot(), "\n"))
			}
			if err := <-werr; err != nil {
				t.Fatalf("%d bytes: writing: %v", size, err)
			}
			if !bytes.Equal(got, payload) {
				t.Fatalf("%d bytes: echo of %d bytes differs", size, len(got))
			}
			s.waitLog(t, 0, fmt.Sprintf(`msg=closed remote=%s bytes=%d err=<nil>$`,
				regexp.QuoteMeta(c.LocalAddr().String()), size))
		}
		if code := s.stop(t); code != 0 {
			t.Fatalf("exit status %d, want 0", code)
		}
		_, m := s.waitLog(t, 0, stopLine)
		if m[1] != fmt.Sprint(len(sizes)) || m[2] != "0" || m[3] != "graceful" {
			t.Errorf("stop line %q: want served=%d open=0 shutdown=graceful", m[0], len(sizes))
		}
	})
}

// runOnce runs the program to its end with args and returns its exit
// status, stdout and stderr.
func runOnce(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- runWith(args, &stdout, &stderr, make(chan os.Signal)) }()
	select {
	case code := <-done:
		return code, stdout.String(), stderr.String()
	case <-time.After(reactortest.StallLimit):
		t.Fatalf("%v: still running after %v", args, reactortest.StallLimit)
		return 0, "", ""
	}
}

func TestPortInUse(t *testing.T) {
	forModes(t, func(t *testing.T, mode []string) {
		needReactor(t, mode)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		addr := l.Addr().String()
		code, stdout, stderr := runOnce(t, append(mode, "-addr", addr)...)
		want := "ch06-echo: listen tcp " + addr + ": bind: address already in use\n"
		if code != 1 || stdout != "" || stderr != want {
			t.Errorf("exit status %d, stdout %q, stderr %q; want 1, nothing, %q", code, stdout, stderr, want)
		}
	})
}

func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-addr", "nope"}, `-addr "nope": address nope: missing port in address`},
		{[]string{"-std", "-addr", "example.com:80"}, `-addr "example.com:80": host must be an IP address or localhost (names are not resolved)`},
		{[]string{"-addr", ":65536"}, `-addr ":65536": port "65536": want a number from 0 to 65535`},
		{[]string{"-max-conns", "0"}, `-max-conns 0: want 1 to 1000000`},
		{[]string{"-idle", "-1s"}, `-idle -1s: want 0 (no limit) or more`},
		{[]string{"-grace", "-1ms"}, `-grace -1ms: want 0 or more`},
		{[]string{"-workers", "1025"}, `-workers 1025: want 0 to 1024`},
		{[]string{"-std", "-load"}, `-std is a server; -load is the load generator: use one`},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-bogus"}, `flag provided but not defined: -bogus`},
	} {
		code, stdout, stderr := runOnce(t, tc.args...)
		want := "ch06-echo: " + tc.want + " (see ch06-echo -h)\n"
		if strings.HasPrefix(tc.want, "-addr ") {
			want = "ch06-echo: " + tc.want + "\n" // no hint: it would not fit 72 columns
		}
		if code != 2 || stdout != "" || stderr != want {
			t.Errorf("%q: exit status %d, stdout %q, stderr %q; want 2, nothing, %q",
				tc.args, code, stdout, stderr, want)
		}
	}
	code, stdout, stderr := runOnce(t, "-h")
	if code != 0 || !strings.HasPrefix(stdout, "usage: ch06-echo ") || stderr != "" {
		t.Errorf("-h: exit status %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// A connection open when the signal comes is still served during the
// grace period, to the last byte; the server then exits 0.
func TestGracefulShutdown(t *testing.T) {
	forModes(t, func(t *testing.T, mode []string) {
		s := startServer(t, mode, "-grace", "1h")
		a, b := dial(t, s.addr), dial(t, s.addr)
		for _, c := range []net.Conn{a, b} {
			if err := roundTrip(c, "before the signal"); err != nil {
				t.Fatal(err)
			}
		}
		s.sigs <- syscall.SIGTERM
		s.waitLog(t, 0, `^level=INFO msg="shutting down" signal=terminated open=2 grace=1h0m0s$`)

		big := bytes.Repeat([]byte("during the grace period\n"), 4000)
		for _, c := range []*net.TCPConn{a, b} {
			werr := make(chan error, 1)
			go func() { _, err := c.Write(big); werr <- err }()
			back := make([]byte, len(big))
			c.SetReadDeadline(time.Now().Add(reactortest.StallLimit))
			if _, err := io.ReadFull(c, back); err != nil || !bytes.Equal(back, big) {
				t.Fatalf("echo during the grace period: %v", err)
			}
			if err := <-werr; err != nil {
				t.Fatal(err)
			}
			if rest, err := finish(c); err != nil || len(rest) != 0 {
				t.Fatalf("after half-closing: %q, %v; want end of file", rest, err)
			}
		}
		if code := s.wait(t); code != 0 {
			t.Fatalf("exit status %d, want 0", code)
		}
		_, m := s.waitLog(t, 0, stopLine)
		if m[1] != "2" || m[2] != "0" || m[3] != "graceful" {
			t.Errorf("stop line %q: want served=2 open=0 shutdown=graceful", m[0])
		}
		if c, err := net.Dial("tcp", s.addr); err == nil {
			c.Close()
			t.Errorf("a connection was accepted after the server stopped")
		}
	})
}

// A connection still open when the grace period ends is closed, and the
// server exits 0. The peer never closes, so the period must run out,
// however slow the machine.
func TestGraceRunsOut(t *testing.T) {
	forModes(t, func(t *testing.T, mode []string) {
		s := startServer(t, mode, "-grace", "20ms")
		c := dial(t, s.addr)
		if err := roundTrip(c, "hello"); err != nil {
			t.Fatal(err)
		}
		if code := s.stop(t); code != 0 {
			t.Fatalf("exit status %d, want 0", code)
		}
		_, m := s.waitLog(t, 0, stopLine)
		if m[1] != "1" || m[2] != "1" || m[3] != "forced" {
			t.Errorf("stop line %q: want served=1 open=1 shutdown=forced", m[0])
		}
		if got, err := readToEOF(c); len(got) != 0 || err != nil && !isReset(err) {
			t.Errorf("after the grace period read %q, %v; want end of file or a reset", got, err)
		}
	})
}

// isReset reports whether err is a connection reset, which is how a
// socket closed with unread bytes ends.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET)
}

// A second signal during the grace period ends the server at once, with
// status 1 and a line that says so, closing what is still open.
func TestSecondSignal(t *testing.T) {
	forModes(t, func(t *testing.T, mode []string) {
		s := startServer(t, mode, "-grace", "1h")
		c := dial(t, s.addr)
		if err := roundTrip(c, "hello"); err != nil {
			t.Fatal(err)
		}
		s.sigs <- syscall.SIGTERM
		s.waitLog(t, 0, `msg="shutting down" signal=terminated open=1 `)
		s.sigs <- os.Interrupt
		if code := s.wait(t); code != 1 {
			t.Fatalf("exit status %d, want 1", code)
		}
		s.waitLog(t, 0, `^level=WARN msg="second signal; closing all connections" signal=interrupt$`)
		_, m := s.waitLog(t, 0, stopLine)
		if m[1] != "1" || m[2] != "1" || m[3] != "forced" {
			t.Errorf("stop line %q: want served=1 open=1 shutdown=forced", m[0])
		}
		if got, err := readToEOF(c); len(got) != 0 || err != nil && !isReset(err) {
			t.Errorf("after the second signal read %q, %v; want end of file or a reset", got, err)
		}
	})
}

// At -max-conns the server stops accepting; the next connection waits in
// the backlog and is accepted only after one of the open ones has closed.
// The order is read from the server's log, which it writes before it
// gives up a connection's slot and after it accepts.
func TestMaxConns(t *testing.T) {
	forModes(t, func(t *testing.T, mode []string) {
		s := startServer(t, mode, "-max-conns", "2")
		c1, c2 := dial(t, s.addr), dial(t, s.addr)
		for _, c := range []net.Conn{c1, c2} {
			if err := roundTrip(c, "in"); err != nil {
				t.Fatal(err)
			}
		}
		full, _ := s.waitLog(t, 0, `^level=WARN msg="at max-conns; new connections wait in the kernel's backlog" open=2 quiet_until_open=1$`)
		c3 := dial(t, s.addr) // the kernel completes the handshake
		if _, err := io.WriteString(c3, "third"); err != nil {
			t.Fatal(err)
		}
		if rest, err := finish(c1); err != nil || len(rest) != 0 {
			t.Fatalf("closing the first: %q, %v", rest, err)
		}
		back := make([]byte, len("third"))
		c3.SetReadDeadline(time.Now().Add(reactortest.StallLimit))
		if _, err := io.ReadFull(c3, back); err != nil || string(back) != "third" {
			t.Fatalf("third connection read %q, %v", back, err)
		}
		quote := func(c net.Conn) string { return regexp.QuoteMeta(c.LocalAddr().String()) }
		closed1, _ := s.waitLog(t, 0, `msg=closed remote=`+quote(c1)+` `)
		accepted3, _ := s.waitLog(t, 0, `msg=accepted remote=`+quote(c3)+`$`)
		if !(full < closed1 && closed1 < accepted3) {
			t.Errorf("log order: at the limit (line %d), first closed (line %d), third accepted (line %d); want that order:\n%s",
				full, closed1, accepted3, strings.Join(s.log.snapshot(), "\n"))
		}
		for _, c := range []*net.TCPConn{c2, c3} {
			if rest, err := finish(c); err != nil || len(rest) != 0 {
				t.Fatalf("closing: %q, %v", rest, err)
			}
		}
		if code := s.stop(t); code != 0 {
			t.Fatalf("exit status %d, want 0", code)
		}
	})
}

// The warning at -max-conns is logged once per episode: a server that
// stays at its limit, one connection ending and the next taking its
// place, logs it once; it logs it again only after the open connections
// have fallen to half the limit and risen to it again.
func TestMaxConnsLoggedOnce(t *testing.T) {
	forModes(t, func(t *testing.T, mode []string) {
		s := startServer(t, mode, "-max-conns", "4")
		const warn = `^level=WARN msg="at max-conns; new connections wait in the kernel's backlog" open=4 quiet_until_open=2$`
		var open []*net.TCPConn
		connect := func() {
			c := dial(t, s.addr)
			if err := roundTrip(c, "in"); err != nil {
				t.Fatal(err)
			}
			open = append(open, c)
		}
		closeFirst := func() {
			c := open[0]
			open = open[1:]
			if rest, err := finish(c); err != nil || len(rest) != 0 {
				t.Fatalf("closing: %q, %v", rest, err)
			}
			s.waitLog(t, 0, `msg=closed remote=`+regexp.QuoteMeta(c.LocalAddr().String())+` `)
		}
		for range 4 {
			connect()
		}
		first, _ := s.waitLog(t, 0, warn)
		// At the limit: each one that ends lets the next in (it waited
		// in the backlog, and its round trip ends once it is accepted).
		for range 3 {
			closeFirst()
			connect()
		}
		// Down to half the limit and up again: a new episode.
		closeFirst()
		closeFirst()
		connect()
		connect()
		second, _ := s.waitLog(t, first+1, warn)
		for len(open) > 0 {
			closeFirst()
		}
		if code := s.stop(t); code != 0 {
			t.Fatalf("exit status %d, want 0", code)
		}
		n := 0
		for _, line := range s.log.snapshot() {
			if strings.Contains(line, "at max-conns") {
				n++
			}
		}
		if n != 2 {
			t.Errorf("the limit was logged %d times (lines %d and %d first), want twice:\n%s",
				n, first, second, strings.Join(s.log.snapshot(), "\n"))
		}
	})
}

// A peer that resets its connection and one that goes quiet past -idle
// end only their own connections; the server goes on serving.
func TestPeerErrors(t *testing.T) {
	forModes(t, func(t *testing.T, mode []string) {
		s := startServer(t, mode, "-idle", "50ms")
		quiet := dial(t, s.addr) // sends nothing: closed after -idle
		reset := dial(t, s.addr)
		if err := roundTrip(reset, "then a reset"); err != nil {
			t.Fatal(err)
		}
		reset.SetLinger(0) // close with RST
		reset.Close()
		s.waitLog(t, 0, `msg=closed remote=`+regexp.QuoteMeta(reset.LocalAddr().String())+` bytes=12 err=".*reset by peer"$`)
		if got, err := readToEOF(quiet); len(got) != 0 || err != nil {
			t.Fatalf("idle connection read %q, %v; want end of file", got, err)
		}
		s.waitLog(t, 0, `msg=closed remote=`+regexp.QuoteMeta(quiet.LocalAddr().String())+` bytes=0 err=".*(idle timeout|i/o timeout)"$`)

		c := dial(t, s.addr)
		if err := roundTrip(c, "still serving"); err != nil {
			t.Fatal(err)
		}
		if rest, err := finish(c); err != nil || len(rest) != 0 {
			t.Fatalf("closing: %q, %v", rest, err)
		}
		if code := s.stop(t); code != 0 {
			t.Fatalf("exit status %d, want 0", code)
		}
		_, m := s.waitLog(t, 0, stopLine)
		if m[1] != "3" || m[2] != "0" || m[3] != "graceful" {
			t.Errorf("stop line %q: want served=3 open=0 shutdown=graceful", m[0])
		}
	})
}

// manyClients is how many clients TestManyClients holds open at once.
const manyClients = 1000

// A thousand clients connect and each makes a round trip; all of them are
// open together when the signal comes (the server says open=1000), and
// each makes a second round trip in the grace period and closes.
func TestManyClients(t *testing.T) {
	if limit, ok := fdLimit(); ok && limit < 2*manyClients+200 {
		t.Skipf("RLIMIT_NOFILE is %d; %d clients and their server need %d descriptors",
			limit, manyClients, 2*manyClients+200)
	}
	forModes(t, func(t *testing.T, mode []string) {
		s := startServer(t, mode, "-grace", "1h")
		var progress atomic.Int64
		conns := make([]*net.TCPConn, manyClients)
		reactortest.Parallel(t, manyClients, progress.Load, "the first round trips", func(i int) error {
			c, err := net.DialTimeout("tcp", s.addr, reactortest.StallLimit)
			if err != nil {
				return err
			}
			conns[i] = c.(*net.TCPConn)
			defer progress.Add(1)
			return roundTrip(c, fmt.Sprintf("client %d, first\n", i))
		})
		if t.Failed() {
			return
		}
		s.sigs <- syscall.SIGTERM
		s.waitLog(t, 0, fmt.Sprintf(`msg="shutting down" signal=terminated open=%d `, manyClients))
		reactortest.Parallel(t, manyClients, progress.Load, "the second round trips", func(i int) error {
			defer progress.Add(1)
			if err := roundTrip(conns[i], fmt.Sprintf("client %d, second\n", i)); err != nil {
				return err
			}
			rest, err := finish(conns[i])
			conns[i].Close()
			if err == nil && len(rest) != 0 {
				err = fmt.Errorf("%q after the echo, want end of file", rest)
			}
			return err
		})
		if code := s.wait(t); code != 0 {
			t.Fatalf("exit status %d, want 0", code)
		}
		_, m := s.waitLog(t, 0, stopLine)
		if m[1] != fmt.Sprint(manyClients) || m[2] != "0" || m[3] != "graceful" {
			t.Errorf("stop line %q: want served=%d open=0 shutdown=graceful", m[0], manyClients)
		}
	})
}

// After a shutdown, forced or not, the server has left no goroutine and
// no descriptor behind.
func TestNoLeaks(t *testing.T) {
	forModes(t, func(t *testing.T, mode []string) {
		needReactor(t, mode)
		// Go's own netpoller opens its descriptors on first use, for good:
		// count after it is up.
		if l, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
			l.Close()
		}
		goroutines := runtime.NumGoroutine()
		fds, fdsOK := openFDs()

		for _, grace := range []string{"1h", "0s"} {
			s := startServer(t, mode, "-grace", grace)
			done, open := dial(t, s.addr), dial(t, s.addr)
			for _, c := range []net.Conn{done, open} {
				if err := roundTrip(c, "leak?"); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := finish(done); err != nil {
				t.Fatal(err)
			}
			if grace == "1h" {
				open.Close() // a graceful shutdown needs it closed
			}
			if code := s.stop(t); code != 0 {
				t.Fatalf("-grace %s: exit status %d, want 0", grace, code)
			}
			done.Close()
			open.Close()
		}

		// The goroutines of the runtime and of the connections have all
		// returned when run does, but a goroutine that has returned may
		// still be counted for a moment: look again until the count is
		// back, under the watchdog.
		deadline := time.Now().Add(reactortest.StallLimit)
		for runtime.NumGoroutine() > goroutines {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Fatalf("%d goroutines, %d before the servers:\n%s",
					runtime.NumGoroutine(), goroutines, buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(time.Millisecond)
		}
		if !fdsOK {
			t.Skip("descriptors not checked: this system has neither /proc/self/fd nor /dev/fd")
		}
		if now, _ := openFDs(); now != fds {
			t.Errorf("%d descriptors open, %d before the servers", now, fds)
		}
	})
}
