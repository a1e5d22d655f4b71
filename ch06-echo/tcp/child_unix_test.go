//go:build linux || darwin || freebsd || netbsd || openbsd

package tcp_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
	"golang.org/x/sys/unix"
)

// childEnv names the child half a test binary should run instead of the
// tests.
const childEnv = "TCP_TEST_CHILD"

// runChild runs the child half named by childEnv, if any.
func runChild() (int, bool) {
	switch os.Getenv(childEnv) {
	case "":
		return 0, false
	case "emfile":
		if err := emfileChild(); err != nil {
			fmt.Fprintln(os.Stderr, "emfile child:", err)
			return 1, true
		}
		return 0, true
	case "emfile-close":
		if err := emfileCloseChild(); err != nil {
			fmt.Fprintln(os.Stderr, "emfile-close child:", err)
			return 1, true
		}
		return 0, true
	}
	fmt.Fprintf(os.Stderr, "unknown %s=%q\n", childEnv, os.Getenv(childEnv))
	return 2, true
}

// TestAcceptEMFILE runs emfileChild in a process of its own, since it
// lowers the process's descriptor limit and fills the descriptor table,
// and checks that it says ok.
func TestAcceptEMFILE(t *testing.T) { runChildTest(t, "emfile") }

// TestListenerCloseDuringBackoff runs emfileCloseChild in a process of
// its own, as TestAcceptEMFILE does emfileChild.
func TestListenerCloseDuringBackoff(t *testing.T) { runChildTest(t, "emfile-close") }

// runChildTest runs the child half name in a process of its own and
// checks that it says ok.
func runChildTest(t *testing.T, name string) {
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("cannot find the test binary to run it again: %v", err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+name)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var werr error
	go func() {
		werr = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			cmd.Process.Kill()
			<-done
			t.Logf("child's output:\n%s", out.String())
		}
	})
	reactortest.Await(t, done, nil, "the "+name+" child process (an Accept that spins inside its Poll never lets it report)")
	if werr != nil || !strings.Contains(out.String(), name+" child: ok") {
		t.Fatalf("child: %v\n%s", werr, out.String())
	}
	t.Log(strings.TrimSpace(out.String()))
}

// emfileChild lowers the descriptor limit, fills the table, and has a
// client connect. Accept must not spin: it must back off, with pauses
// that double (so five failures take at least 5+10+20+40 ms), and log
// that once. When descriptors are freed it must accept the waiting
// connection, which is then echoed, and log that once too.
func emfileChild() error {
	watchdog := time.AfterFunc(3*stallLimit, func() {
		fmt.Fprintln(os.Stderr, "emfile child: stuck; giving up")
		os.Exit(3)
	})
	defer watchdog.Stop()
	rt, err := sched.New(2)
	if err != nil {
		return err
	}
	defer rt.Shutdown()
	l, err := tcp.Listen(rt.Reactor(), "127.0.0.1:0")
	if err != nil {
		return err
	}
	var logs lockedBuffer
	l.Log = slog.New(slog.NewTextHandler(&logs, nil))
	client, fillers, err := dialThenFill(l)
	if err != nil {
		return err
	}
	defer client.Close()
	probe := &acceptProbe{l: l, f: l.Accept(), reached: make(chan struct{})}
	h := sched.Spawn(rt, future.Then[future.Result[*tcp.Conn]](probe, func(r future.Result[*tcp.Conn]) future.Future[future.Result[int64]] {
		if r.Err != nil {
			return future.Ready(future.Err[int64](r.Err))
		}
		return tcp.Echo(r.Value)
	}))
	<-probe.reached
	backedOff := probe.reachedAt.Sub(probe.start)
	for _, fd := range fillers {
		unix.Close(fd)
	}

	msg := "accepted after the table had room again"
	if _, err := io.WriteString(client, msg); err != nil {
		return err
	}
	client.(*net.TCPConn).CloseWrite()
	back, err := io.ReadAll(client)
	if err != nil || string(back) != msg {
		return fmt.Errorf("echo = %q, %v; want %q", back, err, msg)
	}
	r := executor.BlockOn[future.Result[future.Result[int64]]](h)
	if r.Err != nil || r.Value.Err != nil || r.Value.Value != int64(len(msg)) {
		return fmt.Errorf("Echo = %+v", r)
	}

	if backedOff < 75*time.Millisecond {
		return fmt.Errorf("the pause reached 80ms after %v of failures, not the 75ms that 5+10+20+40ms of pauses take: Accept spins", backedOff)
	}
	if probe.polls > 30 {
		return fmt.Errorf("Accept was polled %d times while backing off", probe.polls)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 ||
		!strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "backing off") ||
		!strings.Contains(lines[0], "too many open files") ||
		!strings.Contains(lines[1], "level=INFO") || !strings.Contains(lines[1], "accepting again") {
		return fmt.Errorf("want one warning that Accept backs off, for EMFILE, and one line that it accepts again; the log is:\n%s", logs.String())
	}
	fmt.Printf("emfile child: ok: %d descriptors filled; the pause reached 80ms after %v, in %d polls; log:\n%s",
		len(fillers), backedOff.Round(time.Millisecond), probe.polls, logs.String())
	return nil
}

// emfileCloseChild fills the descriptor table so that an Accept backs
// off, then closes the listener during the pause. Close must wake the
// Accept, and its next poll end it with net.ErrClosed. The reactor is
// one that nobody turns, so the pause's timer cannot fire: an Accept
// that ends has ended because of the Close, not because its pause ran
// out (before the fix it waited for the pause, up to a second).
func emfileCloseChild() error {
	r, err := reactor.New()
	if err != nil {
		return err
	}
	defer r.Close()
	l, err := tcp.Listen(r, "127.0.0.1:0")
	if err != nil {
		return err
	}
	l.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	client, fillers, err := dialThenFill(l)
	if err != nil {
		return err
	}
	defer client.Close()
	defer func() {
		for _, fd := range fillers {
			unix.Close(fd)
		}
	}()
	var wakes atomic.Int32
	cx := future.NewContext(future.WakerFunc(func() { wakes.Add(1) }))
	f := l.Accept()
	if r, ok := f.Poll(cx).Value(); ok {
		return fmt.Errorf("Accept with a full descriptor table = %v, want a pause", r)
	}
	if tcp.Backoff(l) == 0 {
		return fmt.Errorf("Accept is pending but not backing off")
	}
	if err := l.Close(); err != nil {
		return err
	}
	if wakes.Load() == 0 {
		return fmt.Errorf("Close did not wake the Accept in its back-off pause")
	}
	res, ok := f.Poll(cx).Value()
	if !ok {
		return fmt.Errorf("after Close, the Accept still waits for its pause")
	}
	if !errors.Is(res.Err, net.ErrClosed) {
		return fmt.Errorf("after Close, Accept = %v, want net.ErrClosed", res)
	}
	fmt.Printf("emfile-close child: ok: Close woke the paused Accept; it ended with %v\n", res.Err)
	return nil
}

// dialThenFill connects a client to l, then fills the descriptor table
// (see fillFDTable). The client connects before the table is full: the
// kernel completes the handshake and keeps the connection in the
// listener's backlog, for an Accept that then fails with EMFILE.
func dialThenFill(l *tcp.Listener) (net.Conn, []int, error) {
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	fillers, err := fillFDTable()
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	return client, fillers, nil
}

// fillFDTable lowers the soft descriptor limit to a little above the
// highest descriptor open, then opens /dev/null until EMFILE, and
// returns what it opened.
func fillFDTable() ([]int, error) {
	highest := 0
	for fd := range 4096 {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
			highest = fd
		}
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return nil, err
	}
	setInt(&lim.Cur, highest+1+32)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return nil, err
	}
	var fds []int
	for {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == unix.EMFILE {
			return fds, nil
		}
		if err != nil {
			return fds, err
		}
		fds = append(fds, fd)
	}
}

// setInt sets an Rlimit field, which is a uint64 on most systems and an
// int64 on FreeBSD.
func setInt[T int64 | uint64](p *T, v int) { *p = T(v) }

// acceptProbe wraps an Accept future and notes, from inside its task,
// when the listener's back-off pause first reaches 80ms.
type acceptProbe struct {
	l         *tcp.Listener
	f         future.Future[future.Result[*tcp.Conn]]
	polls     int
	start     time.Time
	reachedAt time.Time
	reached   chan struct{}
}

func (p *acceptProbe) Poll(cx *future.Context) future.Poll[future.Result[*tcp.Conn]] {
	if p.polls == 0 {
		p.start = time.Now()
	}
	p.polls++
	r := p.f.Poll(cx)
	if p.reachedAt.IsZero() && tcp.Backoff(p.l) >= 80*time.Millisecond {
		p.reachedAt = time.Now()
		close(p.reached)
	}
	return r
}

// Cancel cancels the Accept.
func (p *acceptProbe) Cancel() { future.Cancel(p.f) }

// lockedBuffer is reactortest's.
type lockedBuffer = reactortest.LockedBuffer
