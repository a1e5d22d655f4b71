//go:build linux || darwin || freebsd || netbsd || openbsd

package answers

import (
	"fmt"
	"strings"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// TestAbandonedAccept checks what the chapter's "What goes wrong" says
// about a future dropped without Cancel: a pending Accept that is
// abandoned keeps its wait registered with the reactor, and the next
// Accept on the listener panics when it is polled. Cancelled, it makes
// room for the next one.
func TestAbandonedAccept(t *testing.T) {
	r, err := reactor.New()
	if err != nil {
		t.Skipf("no reactor here: %v", err)
	}
	defer r.Close()
	l, err := tcp.Listen(r, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cx := future.NewContext(future.NoopWaker)

	first := l.Accept()
	if first.Poll(cx).IsDone() {
		t.Fatal("Accept done with no client")
	}
	second := l.Accept() // the first is dropped, not cancelled
	msg := panicOf(func() { second.Poll(cx) })
	if !strings.Contains(msg, "a second Readable future polled while another is pending") {
		t.Fatalf("second Accept after an abandoned one: panic %q, want the reactor's", msg)
	}

	future.Cancel(first)
	third := l.Accept()
	if msg := panicOf(func() { third.Poll(cx) }); msg != "" {
		t.Fatalf("Accept after a cancelled one panicked: %s", msg)
	}
	future.Cancel(third)
}

// panicOf calls f and returns what it panicked with, or "".
func panicOf(f func()) (msg string) {
	defer func() {
		if v := recover(); v != nil {
			msg = fmt.Sprint(v)
		}
	}()
	f()
	return ""
}
