package tcp_test

import (
	"fmt"
	"io"
	"net"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// A task accepts one connection and echoes it; a client written with
// package net, in an ordinary goroutine, sends a line, half-closes, and
// reads the echo back until the server closes.
func Example() {
	rt, err := sched.New(2)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Shutdown()
	l, err := tcp.Listen(rt.Reactor(), "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	server := sched.Spawn(rt, future.Then(l.Accept(),
		func(r future.Result[*tcp.Conn]) future.Future[future.Result[int64]] {
			if r.Err != nil {
				return future.Ready(future.Err[int64](r.Err))
			}
			return tcp.Echo(r.Value)
		}))

	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	fmt.Fprintln(c, "hello, echo")
	c.(*net.TCPConn).CloseWrite()
	back, err := io.ReadAll(c)
	fmt.Printf("%q %v\n", back, err)
	sched.BlockOn(rt, server) // the echo closes c, then finishes: wait for it
	fmt.Println(server.Result())
	// Output:
	// "hello, echo\n" <nil>
	// {12 <nil>} <nil>
}
