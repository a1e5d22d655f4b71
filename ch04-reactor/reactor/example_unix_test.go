//go:build linux || darwin || freebsd || netbsd || openbsd

package reactor_test

import (
	"fmt"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"golang.org/x/sys/unix"
)

// Three sleeps spawned out of order finish in deadline order, on one
// goroutine that sleeps in the kernel between them.
func ExampleReactor_Sleep() {
	r, err := reactor.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	ex := executor.NewWith(r)
	for _, ms := range []int{30, 10, 20} {
		executor.Spawn(ex, future.Map(r.Sleep(time.Duration(ms)*time.Millisecond), func(struct{}) struct{} {
			fmt.Printf("%dms\n", ms)
			return struct{}{}
		}))
	}
	ex.Run()
	// Output:
	// 10ms
	// 20ms
	// 30ms
}

// A task reads a pipe that another goroutine writes to later: it reads
// until EAGAIN, then waits for Readable.
func ExampleRegistration_Readable() {
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		fmt.Println(err)
		return
	}
	rd, wr := p[0], p[1]
	defer unix.Close(rd)
	unix.SetNonblock(rd, true)

	r, err := reactor.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	reg, err := r.Register(rd)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer reg.Deregister()

	ex := executor.NewWith(r)
	buf := make([]byte, 16)
	var ready future.Future[error]
	h := executor.Spawn(ex, future.Func[string](func(cx *future.Context) future.Poll[string] {
		for {
			if ready != nil {
				if _, ok := ready.Poll(cx).Value(); !ok {
					return future.Pending[string]()
				}
				ready = nil
			}
			n, err := unix.Read(rd, buf)
			if err == unix.EAGAIN {
				ready = reg.Readable() // nothing yet: wait for the edge
				continue
			}
			if err != nil {
				return future.Done(err.Error())
			}
			return future.Done(string(buf[:n]))
		}
	}))
	go func() {
		unix.Write(wr, []byte("hello"))
		unix.Close(wr)
	}()
	ex.Run()
	got, _ := h.Result()
	fmt.Println(got)
	// Output:
	// hello
}
