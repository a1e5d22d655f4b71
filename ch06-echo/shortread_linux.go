package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
	"golang.org/x/sys/unix"
)

// demoLimit bounds each wait of the -shortread demonstration.
const demoLimit = 10 * time.Second

// ANCHOR: short-read-demo

// shortReadDemo shows that a short read proves nothing about the next
// one. It accepts a loopback connection on a reactor that it turns only
// until the Accept is done; after that no edge reaches the Conn. The
// client sends "first", and the Conn's first read takes it: fewer bytes
// than the buffer holds. Then "second" arrives, and the next read must
// return it with no turn of the reactor, as it does when PollRead waits
// only after EAGAIN.
func shortReadDemo(out io.Writer) error {
	r, err := reactor.New()
	if err != nil {
		return err
	}
	defer r.Close()
	client, c, err := demoConn(r)
	if err != nil {
		return err
	}
	defer client.Close()
	defer c.Close()
	cx := future.NewContext(future.NoopWaker)
	buf := make([]byte, 4096)
	for i, msg := range []string{"first", "second"} {
		if err := sendAcked(client, msg); err != nil {
			return err
		}
		res, ok := c.Read(buf).Poll(cx).Value()
		switch {
		case !ok:
			return fmt.Errorf("read %d waits for an edge; %q is queued",
				i+1, msg)
		case res.Err != nil:
			return res.Err
		}
		fmt.Fprintf(out, "read %d: %q, %d bytes of %d: short\n",
			i+1, buf[:res.Value], res.Value, len(buf))
	}
	return nil
}

// ANCHOR_END: short-read-demo

// demoConn dials the demonstration's connection: the client's end, and
// the server's, accepted on r by turning it until Accept is done.
func demoConn(r *reactor.Reactor) (net.Conn, *tcp.Conn, error) {
	l, err := tcp.Listen(r, "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	defer l.Close()
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	cx := future.NewContext(future.NoopWaker)
	accept := l.Accept()
	for start := time.Now(); time.Since(start) < demoLimit; r.TryPark() {
		if res, ok := accept.Poll(cx).Value(); ok {
			if res.Err != nil {
				client.Close()
				return nil, nil, res.Err
			}
			return client, res.Value, nil
		}
	}
	client.Close()
	return nil, nil, errors.New("the connection was not accepted in time")
}

// sendAcked writes msg and waits until the peer's kernel has acknowledged
// every byte of it (TCP_INFO's unacked count is zero): the bytes are then
// queued on the accepted socket, whatever the reactor knows.
func sendAcked(c net.Conn, msg string) error {
	if _, err := io.WriteString(c, msg); err != nil {
		return err
	}
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		return err
	}
	for start := time.Now(); time.Since(start) < demoLimit; {
		var info *unix.TCPInfo
		var ierr error
		err := rc.Control(func(fd uintptr) {
			info, ierr = unix.GetsockoptTCPInfo(int(fd),
				unix.IPPROTO_TCP, unix.TCP_INFO)
		})
		if err = errors.Join(err, ierr); err != nil {
			return err
		}
		if info.Unacked == 0 {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("%q was not acknowledged in time", msg)
}
