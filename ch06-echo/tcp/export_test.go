package tcp

import (
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

// The hooks below let the tests look inside the futures. Each reads
// state that belongs to one task: call it from that task (inside a Poll
// that wraps the future), or after the task has ended.

// ConnFD is c's descriptor, for tests that ask the kernel about it.
func ConnFD(c *Conn) int { return c.fd }

// ConnClosed reports whether c.Close has run.
func ConnClosed(c *Conn) bool { return c.closed }

// EchoHeld reports what a future from Echo holds: the bytes it has read
// and not yet written back, and whether it holds a pooled buffer.
func EchoHeld(f future.Future[future.Result[int64]]) (held int, buffered bool) {
	e := f.(*Echoing)
	return int(e.end - e.off), e.buf != nil
}

// Backoff is l's current pause after running out of descriptors, or 0.
func Backoff(l *Listener) time.Duration { return l.backoff }

// DialConn is the connection a future from Dial has opened and not yet
// handed over, or nil.
func DialConn(f future.Future[future.Result[*Conn]]) *Conn { return f.(*dialing).c }

// WriteWaiting reports whether c's next write waits for the socket's
// next writable edge before it tries the socket.
func WriteWaiting(c *Conn) bool { return c.wwait }
