//go:build linux || darwin || freebsd || netbsd || openbsd

package tcp_test

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// TestIdleConnObjects accepts n connections on a reactor driven by hand,
// sets each an idle timeout and polls an Echo on it once, so that it
// waits to read: the state of an idle connection in the echo server. It
// counts the live heap objects and bytes that the n connections hold
// after a collection, and fails if a connection holds more than two
// objects (the Conn, with its Registration and idle timer inside, and
// Echo's future) or more than maxIdleBytes: a regression to a
// Registration, a timer or a table entry allocated apart. It also fails
// if accepting allocates anything but the Conn and the table's growth
// (unix.Accept4 left about 180 B of garbage). The clients are raw
// sockets, which allocate nothing in Go.
func TestIdleConnObjects(t *testing.T) {
	const n = 500
	const maxIdleBytes = 272   // Conn 160, Echo 48, table and timer heap 64
	const maxAcceptBytes = 224 // the Conn, 160 B, and the table's growth
	r, err := reactor.New()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	l, err := tcp.Listen(r, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ap := l.Addr()
	clients := make([]int, 0, n)
	defer func() {
		for _, fd := range clients {
			unix.Close(fd)
		}
	}()
	for range n {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, fd)
		sa := &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
		if err := unix.Connect(fd, sa); err != nil {
			t.Fatal(err) // the backlog holds them until they are accepted
		}
	}
	conns := make([]*tcp.Conn, 0, n)
	echoes := make([]future.Future[future.Result[int64]], 0, n)
	defer func() {
		for _, e := range echoes {
			future.Cancel(e) // closes the Conn
		}
	}()
	cx := future.NewContext(future.NoopWaker)

	before := liveHeap()
	for range n {
		acc := l.Accept()
		var res future.Result[*tcp.Conn]
		for {
			var ok bool
			if res, ok = acc.Poll(cx).Value(); ok {
				break
			}
			r.Park() // woken by the connection's arrival
		}
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		conns = append(conns, res.Value)
	}
	var accepted runtime.MemStats
	runtime.ReadMemStats(&accepted)
	for _, c := range conns {
		c.SetIdleTimeout(time.Hour)
		e := tcp.Echo(c)
		if e.Poll(cx).IsDone() {
			t.Fatal("Echo done on a connection that has sent nothing")
		}
		echoes = append(echoes, e)
	}
	after := liveHeap()
	runtime.KeepAlive(conns)

	objects := float64(after.HeapObjects-before.HeapObjects) / n
	bytes := float64(after.HeapAlloc-before.HeapAlloc) / n
	allocs := float64(accepted.Mallocs-before.Mallocs) / n
	allocBytes := float64(accepted.TotalAlloc-before.TotalAlloc) / n
	t.Logf("an idle connection holds %.2f objects, %.0f B of live heap; "+
		"accepting it made %.2f allocations, %.0f B",
		objects, bytes, allocs, allocBytes)
	if objects > 2.1 {
		t.Errorf("an idle connection holds %.2f heap objects, want 2: "+
			"the Conn (with its Registration and idle timer) and Echo's "+
			"future", objects)
	}
	if bytes > maxIdleBytes {
		t.Errorf("an idle connection holds %.0f B of live heap, over %d",
			bytes, maxIdleBytes)
	}
	// Garbage counts too: the collector lets the heap grow by as much
	// as is live before it collects, so what accepting leaves behind
	// raises the resident memory of a server holding connections.
	if allocs > 1.5 || allocBytes > maxAcceptBytes {
		t.Errorf("accepting a connection made %.2f allocations, %.0f B; "+
			"want 1 (the Conn) and at most %d B (with the table's growth)",
			allocs, allocBytes, maxAcceptBytes)
	}
}

// liveHeap is the memory statistics after two collections.
func liveHeap() runtime.MemStats {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms
}
