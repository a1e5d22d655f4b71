package tcp_test

import (
	"io"
	"net"
	"sync/atomic"
	"testing"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch05-workstealing/schedtest"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// TestEchoSeesEOFAfterData sends the last bytes and the end of the
// stream at once, while the echo is waiting to read, many times over.
// The reactor's edge for the data and the one for the FIN can then be
// one wake-up; a read that returns the data must not be taken to mean
// that nothing more is to come, or the echo waits for an edge that has
// already come and never closes the connection.
func TestEchoSeesEOFAfterData(t *testing.T) {
	rt := schedtest.New(t, 1, sched.New)
	l, err := tcp.Listen(rt.Reactor(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accept := l.Accept()
	sched.Spawn(rt, future.Func[struct{}](func(cx *future.Context) future.Poll[struct{}] {
		for {
			r, ok := accept.Poll(cx).Value()
			if !ok {
				return future.Pending[struct{}]()
			}
			if r.Err != nil {
				return future.Done(struct{}{})
			}
			sched.SpawnFrom(cx, tcp.Echo(r.Value))
			accept = l.Accept()
		}
	}))
	const rounds = 300
	var done atomic.Int64
	finished := make(chan struct{})
	errs := make(chan error, 1)
	go func() {
		defer close(finished)
		for range rounds {
			if err := sendAndHalfClose(l.Addr().String()); err != nil {
				errs <- err
				return
			}
			done.Add(1)
		}
	}()
	reactortest.Await(t, finished, done.Load, "the echo to close connections that sent data and FIN together")
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

// sendAndHalfClose makes one exchange: a byte and its echo (so that the
// echo is waiting to read again), then four bytes and a FIN, back to
// back, and then everything back until the echo closes.
func sendAndHalfClose(addr string) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	one := make([]byte, 1)
	if _, err := c.Write([]byte("a")); err != nil {
		return err
	}
	if _, err := io.ReadFull(c, one); err != nil {
		return err
	}
	if _, err := c.Write([]byte("bcde")); err != nil {
		return err
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		return err
	}
	rest, err := io.ReadAll(c)
	if err != nil || string(rest) != "bcde" {
		return &net.OpError{Op: "echo", Net: "tcp", Err: io.ErrUnexpectedEOF}
	}
	return nil
}
