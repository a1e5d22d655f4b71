//go:build linux || darwin || freebsd || netbsd || openbsd

package answers

import (
	"reflect"
	"testing"
	"unsafe"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// sizeClasses are the first of Go's allocation size classes (Go 1.26,
// internal/runtime/gc/sizeclasses.go): a small object takes the smallest
// class that holds it.
var sizeClasses = []uintptr{8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160,
	176, 192, 208, 224, 240, 256, 288, 320, 352, 384, 416, 448, 480, 512}

func sizeClass(n uintptr) uintptr {
	for _, c := range sizeClasses {
		if n <= c {
			return c
		}
	}
	panic("larger than the table")
}

// TestIdleConnBytes estimates, from the sizes of the types, the Go heap
// an idle connection of the book's echo server holds: the objects that
// live while an Echo task waits to read, each rounded up to its size
// class. It leaves out what the sizes cannot show: the reactor's map
// entry for the descriptor, the idle timer if one is set, and the
// kernel's socket. The chapter's page prints the table. The test fails
// if the estimate reaches the 2 KiB stack a goroutine starts with
// (fixedStack in Go 1.26's runtime/stack.go, on Linux and macOS): the
// comparison the chapter makes.
func TestIdleConnBytes(t *testing.T) {
	r, err := reactor.New()
	if err != nil {
		t.Skipf("no reactor here: %v", err)
	}
	defer r.Close()
	rd, _ := reactortest.Pipe(t)
	reg, err := r.Register(rd)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Deregister()
	wait := reg.Readable()
	defer future.Cancel(wait)

	objs := []struct {
		name string
		size uintptr
	}{
		{"sched.JoinHandle (the task)", unsafe.Sizeof(sched.JoinHandle[future.Result[int64]]{})},
		{"tcp.echoing (Echo's future)", reflect.TypeOf(tcp.Echo(nil)).Elem().Size()},
		{"tcp.Conn", unsafe.Sizeof(tcp.Conn{})},
		{"reactor.Registration", unsafe.Sizeof(reactor.Registration{})},
		{"reactor.readiness (Readable)", reflect.TypeOf(wait).Elem().Size()},
	}
	var total uintptr
	for _, o := range objs {
		c := sizeClass(o.size)
		t.Logf("%-30s %4d B, allocated as %4d B", o.name, o.size, c)
		total += c
	}
	t.Logf("%-30s %4d B", "total", total)
	if total >= 2048 {
		t.Errorf("an idle connection holds %d B of objects, no less than a goroutine's first stack", total)
	}
}
