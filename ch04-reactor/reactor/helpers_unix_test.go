//go:build linux || darwin || freebsd || netbsd || openbsd

package reactor

import (
	"sync/atomic"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"golang.org/x/sys/unix"
)

// newReactor returns a Reactor that the test closes when it ends.
func newReactor(t testing.TB) *Reactor {
	t.Helper()
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

// pipe returns a non-blocking pipe that the test closes when it ends.
// (unix.Pipe2 is missing on macOS, so the flags are set one by one.)
func pipe(t testing.TB) (rd, wr int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	for _, fd := range p {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	return p[0], p[1]
}

// drain reads fd until EAGAIN and returns what it read.
func drain(t testing.TB, fd int) string {
	t.Helper()
	var got []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(fd, buf)
		if err == unix.EAGAIN {
			return string(got)
		}
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if n == 0 {
			return string(got)
		}
		got = append(got, buf[:n]...)
	}
}

// fill writes to fd until EAGAIN and returns how many bytes it wrote.
func fill(t testing.TB, fd int) int {
	t.Helper()
	buf := make([]byte, 64<<10)
	total := 0
	for {
		n, err := unix.Write(fd, buf)
		if err == unix.EAGAIN {
			return total
		}
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		total += n
	}
}

// counter is a waker that counts its wake-ups; safe from any goroutine.
type counter struct{ n atomic.Int64 }

func (c *counter) Wake()               { c.n.Add(1) }
func (c *counter) count() int          { return int(c.n.Load()) }
func (c *counter) cx() *future.Context { return future.NewContext(c) }

// mustPending polls f once and fails the test unless it is pending.
func mustPending[T any](t *testing.T, f future.Future[T], cx *future.Context) {
	t.Helper()
	if p := f.Poll(cx); p.IsDone() {
		t.Fatalf("Poll = %v, want Pending", p)
	}
}

// mustDone polls f once and returns its value, failing the test if it is
// pending.
func mustDone[T any](t *testing.T, f future.Future[T], cx *future.Context) T {
	t.Helper()
	v, ok := f.Poll(cx).Value()
	if !ok {
		t.Fatal("Poll = Pending, want Done")
	}
	return v
}

// mustPanic fails the test unless fn panics with want.
func mustPanic(t *testing.T, want string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		if got := recover(); got != want {
			t.Errorf("panic = %v, want %q", got, want)
		}
	}()
	fn()
}
