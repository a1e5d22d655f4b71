//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// reference counts lines the obvious way, over all of the input at once:
// what the reactor-driven counter must agree with, byte for byte.
func reference(data []byte, runes bool) []byte {
	var out bytes.Buffer
	for len(data) > 0 {
		line, rest, found := bytes.Cut(data, []byte("\n"))
		if found {
			line = bytes.TrimSuffix(line, []byte("\r"))
		}
		n := len(line)
		if runes {
			n = utf8.RuneCount(line)
		}
		fmt.Fprintf(&out, "%d %s\n", n, line)
		data = rest
	}
	return out.Bytes()
}

// hangTimeout is how long a test lets one run of the program take before
// it calls the run stuck. The runs take milliseconds; this only turns a
// hang into a failure with a message.
const hangTimeout = 10 * time.Second

// hung is set once a run has hung: the runs after it fail at once instead
// of each waiting hangTimeout, so that a lost wake-up costs the package
// seconds, not minutes.
var hung atomic.Bool

// runWithin runs the program with stdin fd, as run does, and returns its
// exit status, or fails the test if it has not finished after hangTimeout.
// what names the run in the message. Call it from the test's goroutine.
func runWithin(t *testing.T, what string, args []string, fd int, stdout, stderr *bytes.Buffer) int {
	t.Helper()
	if hung.Load() {
		t.Fatalf("%s: not run: an earlier run hung", what)
	}
	var code int
	finished := make(chan struct{})
	go func() { defer close(finished); code = run(args, fd, stdout, stderr) }()
	select {
	case <-finished:
		return code
	case <-time.After(hangTimeout):
		// Not a speed test: a counter that awaits Readable before
		// EAGAIN, or a reactor that loses an edge, waits for ever.
		hung.Store(true)
		t.Fatalf("%s: no result after %v: the counter is stuck waiting", what, hangTimeout)
		return 0
	}
}

// testInput holds lines that break line counters: CRLF, empty lines, a lone
// "\r", invalid UTF-8, a line longer than one read (64 KiB), and no "\n"
// at the end.
func testInput() []byte {
	var b bytes.Buffer
	b.WriteString("a\r\n\r\n\nx\ry\ncaf\xe9 h\xc3\xa9\n")
	b.WriteString(strings.Repeat("long", 50_000) + "\n")
	b.WriteString("last\r")
	return b.Bytes()
}

// feed writes data to fd in pieces of random sizes, so that lines are split
// across reads and the reader finds the descriptor empty (EAGAIN) and waits
// many times, then closes fd.
func feed(t *testing.T, fd int, data []byte, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	for len(data) > 0 {
		n := min(len(data), 1+rng.IntN(9000))
		if err := writeFD(fd, data[:n]); err != nil {
			t.Errorf("feed: %v", err)
			break
		}
		data = data[n:]
	}
	unix.Close(fd)
}

// TestCountPipeAndSocket runs the program on a pipe and on a Unix socket
// as standard input, fed from another goroutine in random pieces, and
// checks its output against reference, in bytes and in runes. It also
// checks that the descriptor is back in blocking mode afterwards.
func TestCountPipeAndSocket(t *testing.T) {
	kinds := []struct {
		name string
		make func() (r, w int, err error)
	}{
		{"pipe", func() (int, int, error) {
			var p [2]int
			err := unix.Pipe(p[:])
			return p[0], p[1], err
		}},
		{"socket", func() (int, int, error) {
			s, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
			return s[0], s[1], err
		}},
	}
	data := testInput()
	for _, k := range kinds {
		for _, runes := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/runes=%v", k.name, runes), func(t *testing.T) {
				for seed := range uint64(5) {
					r, w, err := k.make()
					if err != nil {
						t.Fatal(err)
					}
					done := make(chan struct{})
					go func() { defer close(done); feed(t, w, data, seed) }()
					var args []string
					if runes {
						args = []string{"-runes"}
					}
					var stdout, stderr bytes.Buffer
					code := runWithin(t, fmt.Sprintf("seed %d", seed), args, r, &stdout, &stderr)
					<-done
					if code != 0 || stderr.Len() > 0 {
						t.Fatalf("exit status %d, stderr %q", code, stderr.String())
					}
					if want := reference(data, runes); !bytes.Equal(stdout.Bytes(), want) {
						t.Fatalf("seed %d: output differs from reference:\n got %.200q\nwant %.200q", seed, stdout.Bytes(), want)
					}
					if nonblocking(t, r) {
						t.Errorf("descriptor left in non-blocking mode")
					}
					unix.Close(r)
				}
			})
		}
	}
}

// nonblocking reports whether fd's open file description has O_NONBLOCK.
func nonblocking(t *testing.T, fd int) bool {
	t.Helper()
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		t.Fatal(err)
	}
	return flags&unix.O_NONBLOCK != 0
}

// TestAlreadyNonblocking checks that a descriptor that was non-blocking
// before the program started stays non-blocking: restore puts back what
// was there, it does not force blocking mode.
func TestAlreadyNonblocking(t *testing.T) {
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	if err := unix.SetNonblock(p[0], true); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); feed(t, p[1], []byte("x\n"), 0) }()
	defer func() { <-done }() // feed reports through t: wait for it before the test ends
	var stdout, stderr bytes.Buffer
	if code := runWithin(t, "already non-blocking", nil, p[0], &stdout, &stderr); code != 0 || stdout.String() != "1 x\n" {
		t.Fatalf("exit status %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	if !nonblocking(t, p[0]) {
		t.Errorf("O_NONBLOCK was cleared; it was set before the program ran")
	}
}

// TestRegularFileRefused checks the error for a regular file: one line,
// exit status 1, and the descriptor's flag unchanged.
func TestRegularFileRefused(t *testing.T) {
	f, err := os.Open("testdata/x.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	var stdout, stderr bytes.Buffer
	code := run(nil, fd, &stdout, &stderr)
	want := "ch04-reactor: stdin is a regular file; use cat FILE | ch04-reactor\n"
	if code != 1 || stdout.Len() > 0 || stderr.String() != want {
		t.Fatalf("exit status %d, stdout %q, stderr %q; want 1, nothing, %q", code, stdout.String(), stderr.String(), want)
	}
	if nonblocking(t, fd) {
		t.Errorf("regular file left in non-blocking mode")
	}
}

// TestHelperProcess is not a test: TestSignalRestoresFlag runs the test
// binary again with it, as the program itself.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("CH04_REACTOR_HELPER") != "1" {
		t.Skip("run by TestSignalRestoresFlag")
	}
	catchSIGPIPE() // as main does
	os.Exit(run(nil, stdinFD, os.Stdout, os.Stderr))
}

// TestSignalRestoresFlag runs the program in a child process whose standard
// input is a pipe this test also holds, as a shell holds its terminal.
// While the child runs, the test sees O_NONBLOCK on its own descriptor:
// the flag lives in the shared open file description. After each signal
// that ends a Go program and may be caught, the flag is gone again and the
// child ended as the signal ends it: killed by SIGHUP, SIGINT or SIGTERM,
// exit status 2 with a goroutine dump for SIGQUIT and SIGABRT. A stop
// (SIGTSTP) puts the flag back while the child is stopped, and SIGCONT
// sets it again.
func TestSignalRestoresFlag(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGABRT, syscall.SIGTERM, syscall.SIGTSTP} {
		t.Run(sig.String(), func(t *testing.T) {
			if signal.Ignored(sig) {
				// nohup ignores SIGHUP, a background job SIGINT and
				// SIGQUIT; the child inherits that, and the program
				// rightly leaves an ignored signal alone.
				t.Skipf("%v is ignored in this process (run under nohup, or in the background?), so it would not end the child", sig)
			}
			t.Parallel()
			testSignalRestoresFlag(t, sig)
		})
	}
}

func testSignalRestoresFlag(t *testing.T, sig syscall.Signal) {
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	in := os.NewFile(uintptr(p[0]), "stdin-pipe") // blocking: not in Go's poller
	defer in.Close()
	defer unix.Close(p[1])

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "CH04_REACTOR_HELPER=1", "GOTRACEBACK=single")
	cmd.Stdin = in // the child's fd 0 shares in's open file description
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The watchdog: a child that never answers is killed, which ends
	// the reads below with an error instead of a hang.
	watchdog := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
	defer watchdog.Stop()
	defer cmd.Process.Kill() // a test that fails early leaves no child behind
	out := bufio.NewReader(stdout)

	// Once the child has counted a line, it has set the flag and is
	// waiting for more in the reactor.
	expect := func(input, want string) {
		t.Helper()
		if err := writeFD(p[1], []byte(input)); err != nil {
			t.Fatal(err)
		}
		line, err := out.ReadString('\n')
		if err != nil || line != want {
			cmd.Process.Kill()
			werr := cmd.Wait()
			t.Fatalf("child printed %q, %v; want %q (child: %v; stderr %q)", line, err, want, werr, stderr.String())
		}
		if !nonblocking(t, p[0]) {
			t.Fatalf("while the child runs, the shared description should be non-blocking")
		}
	}
	expect("a\n", "1 a\n")

	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	if sig == syscall.SIGTSTP {
		var ws unix.WaitStatus
		if _, err := unix.Wait4(cmd.Process.Pid, &ws, unix.WUNTRACED, nil); err != nil || !ws.Stopped() {
			t.Fatalf("after SIGTSTP: wait4 = %v, %v; want the child stopped", ws, err)
		}
		if nonblocking(t, p[0]) {
			t.Errorf("while the child is stopped (by %v), the shared description is non-blocking: the shell would get EAGAIN; stderr %q", ws.StopSignal(), stderr.String())
		}
		if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		expect("bb\n", "2 bb\n") // the flag is set again
		sig = syscall.SIGTERM
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child: %v; want it ended by %v", err, sig)
	}
	ws, _ := ee.Sys().(syscall.WaitStatus)
	switch sig {
	case syscall.SIGQUIT, syscall.SIGABRT:
		if ws.Signaled() || ws.ExitStatus() != 2 || !strings.Contains(stderr.String(), "goroutine ") {
			t.Errorf("child ended with %v; want exit status 2 and a goroutine dump, as the runtime ends a program on %v (stderr %q)", err, sig, stderr.String())
		}
	default:
		if !ws.Signaled() || ws.Signal() != sig {
			t.Errorf("child ended with %v; want killed by %v (stderr %q)", err, sig, stderr.String())
		}
	}
	if nonblocking(t, p[0]) {
		t.Errorf("after %v the description is still non-blocking: the child did not restore it", sig)
	}
}

// TestHelperCountPipes is not a test: TestNewPipeForkSafe runs the test
// binary again with it, to print how many pipes the child has open.
func TestHelperCountPipes(t *testing.T) {
	if os.Getenv("CH04_REACTOR_COUNT_PIPES") != "1" {
		t.Skip("run by TestNewPipeForkSafe")
	}
	dir := "/proc/self/fd"
	if _, err := os.Stat(dir); err != nil {
		dir = "/dev/fd"
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pipes := 0
	for _, e := range ents {
		var st unix.Stat_t
		fd, err := strconv.Atoi(e.Name())
		if err == nil && unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFIFO {
			pipes++
		}
	}
	fmt.Println(pipes)
	os.Exit(0)
}

// TestNewPipeForkSafe makes pipes with newPipe on one goroutine while
// this one starts child processes, and checks that no child ever gets one
// of those pipes: each child has as many pipes open as one started with
// nothing else going on. Without syscall.ForkLock around pipe and
// close-on-exec, a fork between the two hands the pipe to the child.
func TestNewPipeForkSafe(t *testing.T) {
	child := func() string {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCountPipes$")
		cmd.Env = append(os.Environ(), "CH04_REACTOR_COUNT_PIPES=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("child: %v", err)
		}
		return string(out)
	}
	want := child()
	stop := make(chan struct{})
	churned := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				churned <- nil
				return
			default:
			}
			r, w, err := newPipe()
			if err != nil {
				churned <- err
				return
			}
			unix.Close(r)
			unix.Close(w)
		}
	}()
	leaks := 0
	for range 30 {
		if got := child(); got != want {
			leaks++
		}
	}
	close(stop)
	if err := <-churned; err != nil {
		t.Fatal(err)
	}
	if leaks > 0 {
		t.Fatalf("%d of 30 children started while pipes were being made had more pipes open than one started alone (%s): newPipe's pipes leak across fork", leaks, strings.TrimSpace(want))
	}
}
