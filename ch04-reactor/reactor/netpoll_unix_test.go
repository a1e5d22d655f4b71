//go:build linux || darwin || freebsd || netbsd || openbsd

package reactor

import (
	"bytes"
	"regexp"
	"runtime"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
	"golang.org/x/sys/unix"
)

// TestSuiteInNetpoller runs every test of the package again, in a child
// process, with each newReactor's reactor sleeping in Go's netpoller.
func TestSuiteInNetpoller(t *testing.T) { reactortest.SuiteInNetpoller(t) }

// TestUseNetpollerWakes checks the three ways out of a turn asleep in
// the netpoller: a descriptor becomes ready, a timer fires, Unpark.
func TestUseNetpollerWakes(t *testing.T) {
	r := newReactor(t)
	if err := r.UseNetpoller(); err != nil {
		t.Fatal(err)
	}
	if err := r.UseNetpoller(); err != nil {
		t.Fatalf("a second UseNetpoller: %v", err)
	}

	reg, rd, wr := registeredPipe(t, r)
	var c counter
	mustPending(t, reg.Readable(), c.cx())
	go func() {
		waitAsleep(t, r)
		unix.Write(wr, []byte("x"))
	}()
	parkWatched(t, r, "a Park in the netpoller to see a pipe become readable")
	if c.count() != 1 || drain(t, rd) != "x" {
		t.Fatalf("woken %d times after the write, want 1", c.count())
	}

	var tc counter
	mustPending(t, r.Sleep(time.Millisecond), tc.cx())
	for tc.count() == 0 {
		parkWatched(t, r, "a Park in the netpoller to fire a timer")
	}

	go func() {
		waitAsleep(t, r)
		r.Unpark()
	}()
	parkWatched(t, r, "Unpark to end a Park in the netpoller")
}

// TestUseNetpollerSleepsAsGoroutine checks what UseNetpoller is for: a
// turn asleep in the kernel is a goroutine in a system call, one asleep
// in the netpoller is a goroutine waiting for I/O, as the goroutine dump
// shows them ("[syscall]", "[IO wait]").
func TestUseNetpollerSleepsAsGoroutine(t *testing.T) {
	for _, nested := range []bool{false, true} {
		r, err := New()
		if err != nil {
			t.Fatal(err)
		}
		want := "syscall"
		if nested {
			want = "IO wait"
			if err := r.UseNetpoller(); err != nil {
				t.Fatal(err)
			}
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.Park()
		}()
		state := parkState(t, r)
		r.Unpark()
		await(t, done, nil, "Unpark to end the Park")
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if state != want {
			t.Errorf("UseNetpoller %v: the goroutine in Park is [%s], want [%s]", nested, state, want)
		}
	}
}

// parkState waits until a goroutine is blocked in r's Park, and returns
// its state in a goroutine dump.
func parkState(t *testing.T, r *Reactor) string {
	t.Helper()
	waitAsleep(t, r)
	state := regexp.MustCompile(`^goroutine \d+ \[([^\],]+)`)
	buf := make([]byte, 1<<20)
	deadline := time.Now().Add(2 * reactorStall)
	for time.Now().Before(deadline) {
		n := runtime.Stack(buf, true)
		for _, g := range bytes.Split(buf[:n], []byte("\n\n")) {
			m := state.FindSubmatch(g)
			if m == nil || !bytes.Contains(g, []byte("(*Reactor).park(")) {
				continue
			}
			if s := string(m[1]); s == "syscall" || s == "IO wait" {
				return s
			}
		}
		runtime.Gosched()
	}
	t.Fatalf("no goroutine blocked in Park after %v", 2*reactorStall)
	return ""
}

// waitAsleep returns once a turn has said it is asleep, or about to be.
func waitAsleep(t testing.TB, r *Reactor) {
	deadline := time.Now().Add(2 * reactorStall)
	for !r.sleeping.Load() && time.Now().Before(deadline) {
		runtime.Gosched()
	}
}

// reactorStall bounds the waits of these tests for a goroutine to get
// somewhere; reaching it means a hang.
const reactorStall = 10 * time.Second
