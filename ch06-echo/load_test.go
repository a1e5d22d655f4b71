package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
)

// startEcho starts the program's own server, on the book's runtime, for
// the generator to load; the test's end stops it.
func startEcho(t *testing.T) string {
	t.Helper()
	return startServerLog(t, nil, nil).addr
}

// startBadEcho starts an echo server written with package net, a
// goroutine per connection, that misbehaves the way its name says once
// the connection has echoed at bytes:
//
//	flip   changes the byte at offset at
//	extra  sends one byte more after offset at
//	close  closes the connection
//	reset  resets the connection (SO_LINGER 0)
//	hangup closes the connection as soon as it is accepted
func startBadEcho(t *testing.T, how string, at int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { badEcho(c, how, at) })
		}
	})
	return ln.Addr().String()
}

func badEcho(c net.Conn, how string, at int) {
	defer c.Close()
	if how == "hangup" {
		return
	}
	buf := make([]byte, 4096)
	done := 0 // bytes echoed so far
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		p := buf[:n]
		if how == "close" && done <= at && at <= done+n {
			c.Write(p[:at-done]) // at may be the end of p: all echoed
			return
		}
		if done <= at && at < done+n {
			switch how {
			case "flip":
				p[at-done] ^= 0x40
			case "extra":
				p = append(p[:at-done+1:at-done+1], 0x55)
				p = append(p, buf[at-done+1:n]...)
			case "reset":
				c.Write(p[:at-done])
				c.(*net.TCPConn).SetLinger(0)
				return
			}
		}
		if _, err := c.Write(p); err != nil {
			return
		}
		done += n
	}
}

// runGen runs generate under a watchdog.
func runGen(t *testing.T, lc *loadConfig) (*loadResult, error) {
	t.Helper()
	var res *loadResult
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err = generate(lc, io.Discard)
	}()
	reactortest.Await(t, done, nil, "the load generator to finish")
	return res, err
}

// measureUntilSome runs lc, doubling its duration while a run measured
// no round trip at all (a machine busy enough to starve the generator
// for the whole window makes the test slower, not red).
func measureUntilSome(t *testing.T, lc *loadConfig) *loadResult {
	t.Helper()
	for {
		res, err := runGen(t, lc)
		if err != nil {
			t.Fatalf("generate: %v", err)
		}
		if err := res.failure(); err != nil {
			t.Fatalf("the run failed: %v", err)
		}
		if res.hist.n > 0 || lc.dur >= 4*time.Second {
			return res
		}
		t.Logf("no round trip in %v; trying again for twice as long", lc.dur)
		lc.dur *= 2
	}
}

func loadTo(addr string, conns, size int) *loadConfig {
	return &loadConfig{addr: addr, workers: 2, conns: conns, size: size,
		dur: 100 * time.Millisecond, warmup: optDuration{10 * time.Millisecond, true}}
}

// TestLoadEcho runs the generator against chapter 6's echo server, and
// against itself with -pid (the server runs in this process too).
func TestLoadEcho(t *testing.T) {
	addr := startEcho(t)
	lc := loadTo(addr, 8, 64)
	if runtime.GOOS == "linux" {
		lc.pid = os.Getpid()
	}
	res := measureUntilSome(t, lc)
	if res.made != 8 || res.failed != 0 {
		t.Errorf("%d connections made, %d failed; want 8 and 0", res.made, res.failed)
	}
	if res.hist.n == 0 {
		t.Fatalf("no round trip measured in %v", res.window)
	}
	p50, p99 := res.hist.quantile(0.5), res.hist.quantile(0.99)
	if !(0 < p50 && p50 <= p99 && p99 <= float64(res.hist.max)) {
		t.Errorf("p50 %v, p99 %v, max %v: want 0 < p50 ≤ p99 ≤ max", p50, p99, res.hist.max)
	}
	if res.selfCPU <= 0 {
		t.Errorf("the generator's CPU over the window is %dns, want > 0", res.selfCPU)
	}
	if lc.pid != 0 && res.serverCPU <= 0 {
		t.Errorf("the server's CPU over the window is %dns, want > 0", res.serverCPU)
	}
	var out bytes.Buffer
	res.print(&out)
	checkReport(t, out.String(), "round trips", "latency", "server CPU", "generator CPU")
}

// checkReport checks that a report has the given labels and fits in 72
// columns.
func checkReport(t *testing.T, report string, labels ...string) {
	t.Helper()
	for line := range strings.Lines(report) {
		if n := utf8.RuneCountInString(strings.TrimSuffix(line, "\n")); n > 72 {
			t.Errorf("line of %d columns, want at most 72: %q", n, line)
		}
	}
	for _, l := range labels {
		if !strings.Contains(report, "\n"+l+" ") {
			t.Errorf("report has no %q line:\n%s", l, report)
		}
	}
}

// TestLoadSizes sends one-byte messages, and messages bigger than the
// socket buffers (which only get through if the client reads the echo
// while it is still writing).
func TestLoadSizes(t *testing.T) {
	addr := startEcho(t)
	for _, size := range []int{1, 4 << 20} {
		res := measureUntilSome(t, loadTo(addr, 2, size))
		if res.hist.n == 0 {
			t.Errorf("-size %d: no round trip measured", size)
		}
	}
}

// TestLoadDetects runs the generator against servers that echo wrong,
// and checks that each is caught and reported as the right kind of
// error. Every connection fails at its first message, so the run ends
// then, long before its -d.
func TestLoadDetects(t *testing.T) {
	for _, tc := range []struct {
		how, want string
		count     func(*loadResult) int
	}{
		{"flip", "byte 37 of 64 came back as", func(r *loadResult) int { return r.verify }},
		{"extra", "came back", func(r *loadResult) int { return r.verify }},
		{"close", "the server closed the connection after 0 round trips: EOF",
			func(r *loadResult) int { return r.eof }},
		{"reset", "connection reset", func(r *loadResult) int { return r.reset }},
	} {
		t.Run(tc.how, func(t *testing.T) {
			addr := startBadEcho(t, tc.how, 37)
			lc := loadTo(addr, 4, 64)
			lc.dur = 8 * time.Second
			res, err := runGen(t, lc)
			if err != nil {
				t.Fatalf("generate: %v", err)
			}
			if n := tc.count(res); n != 4 {
				t.Errorf("%d connections failed as they should, want 4 (verify %d, reset %d, EOF %d, other %d; first %v)",
					n, res.verify, res.reset, res.eof, res.other, res.first)
			}
			err = res.failure()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is more than one line", err)
			}
		})
	}
}

// closedAddr returns an address on which nothing listens.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestLoadRefused(t *testing.T) {
	addr := closedAddr(t)
	lc := loadTo(addr, 3, 64)
	res, err := runGen(t, lc)
	if res != nil || err == nil {
		t.Fatalf("got %+v, %v; want no result and an error", res, err)
	}
	want := "dial tcp " + addr + ": connect: connection refused (none of 3 connections could be made)"
	if err.Error() != want {
		t.Errorf("error %q\nwant  %q", err, want)
	}
}

// TestLoadBadFlags checks that every bad value is refused with one line
// naming the flag, before anything is started.
func TestLoadBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-conns", "0"}, "-conns 0: want 1 to 1000000"},
		{[]string{"-conns", "-5"}, "-conns -5: want 1 to 1000000"},
		{[]string{"-size", "0"}, "-size 0: want 1 to 16777216 bytes"},
		{[]string{"-size", "16777217"}, "-size 16777217: want 1 to 16777216 bytes"},
		{[]string{"-conns", "1000", "-size", "1000000"}, "-conns 1000 -size 1000000: the buffers would take more than 1024 MiB"},
		{[]string{"-d", "0"}, "-d 0s: want more than 0 and at most 24h0m0s"},
		{[]string{"-d", "-1s"}, "-d -1s: want more than 0 and at most 24h0m0s"},
		{[]string{"-warmup", "-1s"}, "-warmup -1s: want 0 to 24h0m0s"},
		{[]string{"-pid", "-1"}, "-pid -1: want a process ID"},
	} {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		lc := addLoadFlags(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		lc.addr = "127.0.0.1:1"
		err := runLoad(lc, io.Discard, io.Discard)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
	lc := loadTo("nowhere:80", 1, 1)
	if err := runLoad(lc, io.Discard, io.Discard); err == nil || !strings.HasPrefix(err.Error(), "-addr nowhere:80: host must be an IP") {
		t.Errorf("-addr nowhere:80: error %v", err)
	}
	lc = loadTo("127.0.0.1:1", 1, 1)
	lc.workers = -1
	if err := runLoad(lc, io.Discard, io.Discard); err == nil || err.Error() != "-workers -1: want 0 (GOMAXPROCS) or more" {
		t.Errorf("-workers -1: error %v", err)
	}
	if err := (&optDuration{}).Set("soon"); err == nil {
		t.Errorf("-warmup soon: no error")
	}
}

// TestLoadHold holds connections idle on chapter 6's server, which runs
// in this process, so that with -pid the descriptors it counts are both
// ends of every connection.
func TestLoadHold(t *testing.T) {
	addr := startEcho(t)
	lc := loadTo(addr, 50, 1)
	lc.hold = true
	// This process's RSS, the test's "server", may never stand still on
	// a busy machine: read it after a second at most.
	lc.settleMax = time.Second
	if runtime.GOOS == "linux" {
		lc.pid = os.Getpid()
	} else {
		t.Log("not on Linux: -pid is not tried")
	}
	res, err := runGen(t, lc)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	if err := res.failure(); err != nil {
		t.Fatalf("held connections failed: %v", err)
	}
	if res.made != 50 {
		t.Errorf("%d connections made, want 50", res.made)
	}
	if lc.pid != 0 {
		if !res.memRead {
			t.Fatal("-hold -pid did not read the server's memory")
		}
		// The generator's 50 are open before the reading; the server's
		// 50 are sure to be only if the reading had settled.
		want := 50
		if res.settled {
			want = 100
		}
		if got := res.fds1 - res.fds0; got < want {
			t.Errorf("%d descriptors more with 50 connections held, want at least %d", got, want)
		}
		if res.rss0 <= 0 || res.rss1 <= 0 {
			t.Errorf("RSS %d before and %d after, want both > 0", res.rss0, res.rss1)
		}
	}
	var out bytes.Buffer
	res.print(&out)
	checkReport(t, out.String(), "connections", "server memory", "errors")
}

// TestLoadHoldClosed holds connections on a server that closes them once
// it has echoed their one message: the run fails, saying so.
func TestLoadHoldClosed(t *testing.T) {
	addr := startBadEcho(t, "close", 1)
	lc := loadTo(addr, 3, 1)
	lc.hold = true
	lc.dur = 8 * time.Second // ends as soon as the server has closed all three
	res, err := runGen(t, lc)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	err = res.failure()
	if err == nil || !strings.Contains(err.Error(), "the server closed a held connection: EOF") {
		t.Errorf("error %v, want the server closed a held connection", err)
	}
}

// TestLoadPidMissing asks for a process that does not exist.
func TestLoadPidMissing(t *testing.T) {
	lc := loadTo("127.0.0.1:1", 1, 1)
	lc.pid = 1 << 30 // above Linux's pid_max limit
	err := runLoad(lc, io.Discard, io.Discard)
	want := "-pid 1073741824: no such process"
	if runtime.GOOS != "linux" {
		want = "-pid reads the server's /proc files, which only Linux has"
	}
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

// TestReportFormat checks the report's layout with made-up figures.
func TestReportFormat(t *testing.T) {
	lc := &loadConfig{addr: "127.0.0.1:8080", conns: 1000, size: 64, dur: 10 * time.Second, pid: 42}
	res := &loadResult{lc: lc, workers: 1, made: 1000, window: 10 * time.Second,
		selfCPU: 6_000_000_000, serverCPU: 9_000_000_000}
	for i := range 1_000_000 {
		res.hist.record(int64(5000 + i%10000))
	}
	var out bytes.Buffer
	res.print(&out)
	want := `target          127.0.0.1:8080, 1000 connections, 64-byte messages
runtime         1 worker, 1s warm-up, 10s measured
connections     1000 made, 0 failed
round trips     100000/s (1000000 in 10.00s)
latency         p50 10.1µs, p99 15.0µs, max 15.0µs
server CPU      9.00µs per round trip, 0.90 cores
generator CPU   6.00µs per round trip, 0.60 of 1 core
errors          0 verify, 0 reset, 0 EOF, 0 other
`
	if out.String() != want {
		t.Errorf("report:\n%s\nwant:\n%s", out.String(), want)
	}
}

// TestReportHist checks -hist: after the report, a line naming how many
// buckets follow, then a bucket line each, in order, with its bounds and
// count, the counts adding up to the round trips; all within 72 columns.
func TestReportHist(t *testing.T) {
	lc := &loadConfig{addr: "127.0.0.1:8080", conns: 1, size: 64, dur: time.Second, hist: true}
	res := &loadResult{lc: lc, workers: 1, made: 1, window: time.Second}
	for _, v := range []int64{40, 40, 5000, 5100, 5150, 900_000} {
		res.hist.record(v)
	}
	var out bytes.Buffer
	res.print(&out)
	checkReport(t, out.String(), "errors", "histogram", "bucket")
	_, tail, _ := strings.Cut(out.String(), "0 other\n")
	want := `histogram       4 buckets: from, up to (not including), round trips
bucket          0.04µs 0.041µs 2
bucket          4.992µs 5.12µs 2
bucket          5.12µs 5.248µs 1
bucket          884.736µs 901.12µs 1
`
	if tail != want {
		t.Errorf("-hist printed:\n%s\nwant:\n%s", tail, want)
	}
	lc.hist = false
	out.Reset()
	res.print(&out)
	if strings.Contains(out.String(), "bucket") {
		t.Errorf("without -hist the report has buckets:\n%s", out.String())
	}
}

// TestLoadProgress runs the generator with -progress against the
// server: stderr says each phase as it starts, in order, and nothing
// else but the once-a-second status lines of the phases; without
// -progress a good run writes nothing to stderr (TestLoadInterrupted
// checks its one line).
func TestLoadProgress(t *testing.T) {
	addr := startEcho(t)
	old := progressEvery
	progressEvery = 5 * time.Millisecond
	t.Cleanup(func() { progressEvery = old })
	for _, progress := range []bool{true, false} {
		var stdout, stderr bytes.Buffer
		args := []string{"-load", "-addr", addr, "-conns", "3", "-d", "200ms", "-warmup", "50ms"}
		if progress {
			args = append(args, "-progress")
		}
		code := -1
		done := make(chan struct{})
		go func() {
			defer close(done)
			code = runWith(args, &stdout, &stderr, make(chan os.Signal))
		}()
		reactortest.Await(t, done, nil, "the load generator to finish")
		if code != 0 {
			t.Fatalf("%q: exit status %d; stderr:\n%s", args, code, stderr.String())
		}
		if !progress {
			if stderr.Len() > 0 {
				t.Errorf("without -progress stderr has:\n%s", stderr.String())
			}
			continue
		}
		phases := []string{
			"ch06-echo: dialling 3 connections to " + addr,
			"ch06-echo: dialled 3 of 3",
			"ch06-echo: warming up for 50ms",
			"ch06-echo: measuring for 200ms",
			"ch06-echo: stopping 3 connections",
		}
		status := regexp.MustCompile(`^ch06-echo: (dialled [0-3] of 3|(warming up|measuring): [0-9]+s of (50|200)ms)$`)
		next := 0
		for line := range strings.Lines(stderr.String()) {
			line = strings.TrimSuffix(line, "\n")
			switch {
			case next < len(phases) && line == phases[next]:
				next++
			case !status.MatchString(line):
				t.Errorf("stderr line %q is neither the next phase, %q, nor a status", line, phases[min(next, len(phases)-1)])
			}
		}
		if next != len(phases) {
			t.Errorf("stderr has the phases up to %q, want all of %q:\n%s", phases[:next], phases, stderr.String())
		}
	}
}

func TestFill(t *testing.T) {
	a, b, c := make([]byte, 13), make([]byte, 13), make([]byte, 13)
	fill(a, 1, 7)
	fill(b, 1, 8)
	fill(c, 2, 7)
	if bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Errorf("messages of different numbers or connections are equal: %x %x %x", a, b, c)
	}
	fill(b, 1, 7)
	if !bytes.Equal(a, b) {
		t.Errorf("the same message twice: %x, then %x", a, b)
	}
}

func TestClientErrorUnwraps(t *testing.T) {
	err := error(&clientError{id: 3, err: io.EOF})
	if !errors.Is(err, io.EOF) || err.Error() != "connection 3: EOF" {
		t.Errorf("clientError: %v", err)
	}
}

// TestLoadInterrupted sends the load generator a signal (Ctrl-C) during a
// run meant to last an hour: it must stop, print the report of what it
// measured so far, and say on stderr that it was interrupted, status 1.
func TestLoadInterrupted(t *testing.T) {
	addr := startEcho(t)
	sigs := make(chan os.Signal, 1)
	sigs <- os.Interrupt
	var stdout, stderr bytes.Buffer
	code := -1
	done := make(chan struct{})
	go func() {
		defer close(done)
		code = runWith([]string{"-load", "-addr", addr, "-conns", "4", "-d", "1h"}, &stdout, &stderr, sigs)
	}()
	reactortest.Await(t, done, nil, "the load generator to stop at the signal")
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	checkReport(t, stdout.String(), "runtime", "connections", "round trips", "server CPU", "generator CPU", "errors")
	if !strings.Contains(stdout.String(), "connections     4 made, 0 failed\n") {
		t.Errorf("the report does not count the 4 connections:\n%s", stdout.String())
	}
	re := regexp.MustCompile(`^ch06-echo: interrupted \(interrupt\): the report covers the [0-9.]+s before it\n$`)
	if !re.MatchString(stderr.String()) {
		t.Errorf("stderr %q, want one line matching %s", stderr.String(), re)
	}
}
