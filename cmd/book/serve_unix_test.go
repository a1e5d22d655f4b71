//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startServe starts the book command (the test binary, see TestMain) as
// book serve on a free port in a copy of a book, and waits for its
// serving line. It returns the command and the lines it printed.
func startServe(t *testing.T) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	root, _ := unpackFixture(t, filepath.Join("testdata", "good-book.txtar"))
	bin, err := exec.LookPath("book")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "-addr", "127.0.0.1:0")
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	// A server that hangs is killed after two minutes, far longer than a
	// build takes on a busy machine, so that the test fails, not hangs.
	stopHang := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	t.Cleanup(func() { stopHang.Stop() })
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "serving the book on http://127.0.0.1:") {
			return cmd, lines
		}
	}
	t.Fatalf("book serve ended before its serving line: %v", cmd.Wait())
	return nil, nil
}

// TestServeStopsOnSignal checks that SIGINT (Ctrl-C) and SIGTERM stop
// book serve with one line and status 0.
func TestServeStopsOnSignal(t *testing.T) {
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, lines := startServe(t)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			var rest []string
			for lines.Scan() {
				rest = append(rest, lines.Text())
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("after %v: %v, want status 0", sig, err)
			}
			if len(rest) != 1 || rest[0] != "book serve: stopped" {
				t.Errorf("after %v it printed %q, want one line: book serve: stopped", sig, rest)
			}
		})
	}
}

// TestServePortInUse checks that book serve on a port in use says to use
// -addr, in one line, status 1, before it builds anything.
func TestServePortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	root, _ := unpackFixture(t, filepath.Join("testdata", "good-book.txtar"))
	bin, err := exec.LookPath("book")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "-addr", ln.Addr().String())
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("status: %v, want 1", err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	next, _ := strconv.Atoi(port)
	want := fmt.Sprintf("book serve: %s is in use; use -addr to serve on another address, e.g. -addr 127.0.0.1:%d\n", ln.Addr(), next+1)
	if stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
	if stdout.Len() > 0 {
		t.Errorf("it printed %q: it built the book before it took the port", stdout.String())
	}
}
