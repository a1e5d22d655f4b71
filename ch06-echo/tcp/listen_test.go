package tcp_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// TestListenPortInUse binds a port with package net first: Listen must
// fail with a *net.OpError that says so and wraps EADDRINUSE.
func TestListenPortInUse(t *testing.T) {
	rt := newRT(t, 1)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	l, err := tcp.Listen(rt.Reactor(), taken.Addr().String())
	if err == nil {
		l.Close()
		t.Fatalf("Listen on %v, which is taken, succeeded", taken.Addr())
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "listen" {
		t.Errorf("error %v is a %T, not a *net.OpError for listen", err, err)
	}
	if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), "address already in use") ||
		!strings.Contains(err.Error(), taken.Addr().String()) {
		t.Errorf("error %q does not say that %v is in use", err, taken.Addr())
	}
}

// TestBadAddresses gives Listen and Dial addresses that are not an IP
// literal and a port: each must fail at once, before any socket is
// opened, with a *net.OpError that names the address and says what is
// wrong with it.
func TestBadAddresses(t *testing.T) {
	rt := newRT(t, 1)
	for _, tc := range []struct{ addr, says string }{
		{"nohost", "missing port"},
		{"localhost:99999", "want a number from 0 to 65535"},
		{"127.0.0.1:http", "want a number from 0 to 65535"},
		{"example.com:80", "names are not resolved"},
		{"[fe80::1%eth0]:80", "zones are not supported"},
		{"", "missing port"},
	} {
		l, err := tcp.Listen(rt.Reactor(), tc.addr)
		if err == nil {
			l.Close()
			t.Errorf("Listen(%q) succeeded", tc.addr)
			continue
		}
		checkAddrErr(t, "listen", tc.addr, tc.says, err)
		d, _ := sched.BlockOn(rt, tcp.Dial(rt.Reactor(), tc.addr))
		if d.Err == nil {
			d.Value.Close()
			t.Errorf("Dial(%q) succeeded", tc.addr)
			continue
		}
		checkAddrErr(t, "dial", tc.addr, tc.says, d.Err)
	}
}

func checkAddrErr(t *testing.T, op, addr, says string, err error) {
	t.Helper()
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != op {
		t.Errorf("%s %q: error %v is a %T, not a *net.OpError for %s", op, addr, err, err, op)
	}
	if msg := err.Error(); !strings.Contains(msg, says) || !strings.Contains(msg, addr) {
		t.Errorf("%s %q: error %q should name the address and say %q", op, addr, msg, says)
	}
}

// TestIPv6Loopback listens on [::1]:0 and echoes a message from a net
// client, on machines with an IPv6 loopback.
func TestIPv6Loopback(t *testing.T) {
	probe, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	probe.Close()
	rt := newRT(t, 2)
	l, err := tcp.Listen(rt.Reactor(), "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	if a := l.Addr(); a.Addr() != netip.IPv6Loopback() || a.Port() == 0 {
		l.Close()
		t.Fatalf("Addr() = %v, want [::1] and the port the kernel chose", a)
	}
	h := sched.Spawn(rt, future.Then(l.Accept(), func(r future.Result[*tcp.Conn]) future.Future[future.Result[int64]] {
		l.Close() // one connection is all this test needs
		if r.Err != nil {
			return future.Ready(future.Err[int64](r.Err))
		}
		if got := r.Value.RemoteAddr().Addr(); got != netip.IPv6Loopback() {
			r.Value.Close()
			return future.Ready(future.Err[int64](errors.New("remote address " + got.String() + ", want ::1")))
		}
		return tcp.Echo(r.Value)
	}))
	type reply struct {
		back []byte
		err  error
	}
	done := make(chan reply, 1)
	go func() {
		c, err := net.Dial("tcp6", l.Addr().String())
		if err != nil {
			done <- reply{nil, err}
			return
		}
		defer c.Close()
		c.Write([]byte("over IPv6"))
		c.(*net.TCPConn).CloseWrite()
		b, err := io.ReadAll(c)
		done <- reply{b, err}
	}()
	rep := recv(t, done, polls(rt), "the IPv6 client")
	if rep.err != nil || string(rep.back) != "over IPv6" {
		t.Errorf("echo over IPv6 = %q, %v", rep.back, rep.err)
	}
	r, err := join(t, rt, h, "the IPv6 echo")
	if err != nil || r.Err != nil || r.Value != 9 {
		t.Errorf("Echo = %v, %v; want 9 bytes", r, err)
	}
}

// TestDialRefused dials a port nobody listens on: the future must end
// with a *net.OpError for dial that wraps ECONNREFUSED.
func TestDialRefused(t *testing.T) {
	rt := newRT(t, 1)
	fds0, haveFDs := openFDs()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := free.Addr().String()
	free.Close() // now nobody listens there (the port is ephemeral: nobody else picks it so soon)
	h := sched.Spawn(rt, tcp.Dial(rt.Reactor(), addr))
	r, err := join(t, rt, h, "a dial to a closed port")
	if err != nil {
		t.Fatal(err)
	}
	if r.Err == nil {
		r.Value.Close()
		t.Fatalf("Dial(%s) connected to a closed port", addr)
	}
	var op *net.OpError
	if !errors.As(r.Err, &op) || op.Op != "dial" || !errors.Is(r.Err, syscall.ECONNREFUSED) {
		t.Errorf("Dial's error %v (%T) is not a *net.OpError for dial wrapping ECONNREFUSED", r.Err, r.Err)
	}
	if !strings.Contains(r.Err.Error(), addr) {
		t.Errorf("Dial's error %q does not name %s", r.Err, addr)
	}
	if haveFDs {
		fdsBack(t, fds0)
	}
}

// TestDialCancel starts a dial and cancels it: the socket must be
// closed. The reactor is one that nobody turns, so the dial's first poll
// is pending (the non-blocking connect says EINPROGRESS, and the
// handshake's edge is not collected) with its socket open.
func TestDialCancel(t *testing.T) {
	r, err := reactor.New()
	if errors.Is(err, reactor.ErrUnsupported) {
		t.Skipf("no reactor here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fds0, haveFDs := openFDs()
	f := tcp.Dial(r, l.Addr().String())
	if r, ok := f.Poll(future.NewContext(future.NoopWaker)).Value(); ok {
		if r.Err == nil {
			r.Value.Close()
		}
		t.Skipf("the connect finished within its first poll (%v): nothing to cancel on this system", r.Err)
	}
	c := tcp.DialConn(f)
	if c == nil {
		t.Fatal("a pending dial holds no connection")
	}
	if haveFDs {
		if n, _ := openFDs(); n != fds0+1 {
			t.Errorf("a pending dial has %d descriptors open, want %d", n, fds0+1)
		}
	}
	future.Cancel(f)
	if !tcp.ConnClosed(c) {
		t.Error("Cancel left the dial's socket open")
	}
	if haveFDs {
		fdsBack(t, fds0)
	} else {
		t.Log("no /proc/self/fd here: descriptors not counted")
	}
}

// TestListenerClose closes a listener while an Accept of the same task
// is pending: the Close must wake the task, and the Accept end with an
// error that wraps net.ErrClosed. A later Accept fails the same way at
// once, and a second Close does nothing.
func TestListenerClose(t *testing.T) {
	rt := newRT(t, 2)
	l, err := tcp.Listen(rt.Reactor(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accept := l.Accept()
	closed := false
	h := sched.Spawn(rt, future.Func[error](func(cx *future.Context) future.Poll[error] {
		r, ok := accept.Poll(cx).Value()
		switch {
		case !ok && closed:
			return future.Pending[error]() // only the Close can wake us now
		case !ok:
			closed = true
			if err := l.Close(); err != nil {
				return future.Done(err)
			}
			return future.Pending[error]()
		case r.Err == nil:
			r.Value.Close()
			return future.Done[error](errors.New("Accept gave a connection nobody made"))
		case !closed:
			return future.Done(fmt.Errorf("Accept failed before Close: %w", r.Err))
		case !errors.Is(r.Err, net.ErrClosed):
			return future.Done(fmt.Errorf("the pending Accept ended with %v, not net.ErrClosed", r.Err))
		}
		if r2, ok := l.Accept().Poll(cx).Value(); !ok || !errors.Is(r2.Err, net.ErrClosed) {
			return future.Done(fmt.Errorf("Accept after Close = %v, done %v; want net.ErrClosed at once", r2, ok))
		}
		if err := l.Close(); err != nil {
			return future.Done(fmt.Errorf("second Close: %w", err))
		}
		return future.Done[error](nil)
	}))
	if err, _ := join(t, rt, h, "the pending Accept to end after Close"); err != nil {
		t.Fatal(err)
	}
}
