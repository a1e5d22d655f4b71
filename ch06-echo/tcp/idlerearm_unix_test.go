//go:build linux || darwin || freebsd || netbsd || openbsd

package tcp_test

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// TestIdleTimeoutShortenedWhileWaiting sets a connection's idle timeout
// to an hour, lets its Echo wait (the timer armed for an hour), then
// shortens the timeout to 20ms, on a reactor driven by hand: the Echo
// must end with ErrIdle, not before the 20ms have passed, and once the
// connection and the listener are closed, and the test's other timers
// cancelled, the reactor must watch nothing, no registration and no
// timer. The Conn's timer is armed
// twice; an entry left in the heap by the first arming (the cancelled
// one-hour timer, which Arm must drop) would keep the reactor watching.
// A busy connection is TestIdleActivityRearms's.
func TestIdleTimeoutShortenedWhileWaiting(t *testing.T) {
	r, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	l, err := tcp.Listen(r, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closeL := func() {
		if l != nil {
			l.Close()
			l = nil
		}
	}
	defer closeL()
	client, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(client)
	ap := l.Addr()
	sa := &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	if err := unix.Connect(client, sa); err != nil {
		t.Fatal(err)
	}
	cx := future.NewContext(future.NoopWaker)
	acc := l.Accept()
	var c *tcp.Conn
	for c == nil {
		res, ok := acc.Poll(cx).Value()
		switch {
		case !ok:
			r.Park()
		case res.Err != nil:
			t.Fatal(res.Err)
		default:
			c = res.Value
		}
	}

	c.SetIdleTimeout(time.Hour)
	e := tcp.Echo(c)
	if e.Poll(cx).IsDone() {
		t.Fatal("Echo done on a connection that has sent nothing")
	}
	// Other timers, due later, keep the one-hour timer's entry from
	// leaving the heap as soon as it is cancelled (it is not the last).
	var others []future.Future[struct{}]
	for range 8 {
		s := r.Sleep(2 * time.Hour)
		s.Poll(cx)
		others = append(others, s)
	}
	const idle = 20 * time.Millisecond
	start := time.Now()
	c.SetIdleTimeout(idle) // from inside the task, as a handler would
	var res future.Result[int64]
	for {
		var ok bool
		if res, ok = e.Poll(cx).Value(); ok {
			break
		}
		r.Park() // until the timer fires: no sleep, no deadline
	}
	if waited := time.Since(start); waited < idle {
		t.Errorf("cut after %v, before the idle timeout of %v", waited, idle)
	}
	if !errors.Is(res.Err, tcp.ErrIdle) {
		t.Fatalf("Echo ended with %v, want ErrIdle", res.Err)
	}
	closeL()
	for _, s := range others {
		future.Cancel(s)
	}
	if r.Watching() {
		t.Fatal("the reactor still watches something after the connection " +
			"and the listener closed: a timer entry was left in its heap")
	}
}
