// Package tcp is TCP over chapter 4's reactor: a listener whose Accept is
// a future, and connections whose reads and writes are futures, over
// non-blocking sockets that the reactor watches. It is what Go's package
// net does for a goroutine, turned inside out for a task: where net's Read
// parks the goroutine in the netpoller (poll.FD.Read calls
// runtime_pollWait, in internal/poll/fd_unix.go and fd_poll_runtime.go),
// PollRead returns Pending and leaves the task's waker with the reactor.
//
// # Readiness, not completion
//
// A read here is two steps: wait until the socket is readable, then read
// what is there. Because the wait does not need the buffer, a task may wait
// with none and take one only when bytes have arrived; ten thousand idle
// connections then hold ten thousand registrations, not ten thousand
// buffers. (A completion-based interface such as io_uring or Windows' IOCP
// takes the buffer when the read is started, and holds it until bytes come.)
//
// Every socket is registered once, for both directions, edge-triggered, for
// its whole life (see package reactor). PollRead waits for the next edge
// only after a read has found the socket empty (EAGAIN). A read that
// returns fewer bytes than the buffer could hold proves nothing: bytes
// that arrive while it runs are queued before it returns, and their edge
// reaches the reactor only at its next turn; and the peer's FIN may have
// come in the same edge as the last bytes, so that only the next read
// says end of file.
//
// # Idle connections
//
// SetIdleTimeout makes a Conn fail its reads and writes with ErrIdle once
// no byte has moved in either direction for the given time. It costs one
// timer per connection, not one per read: the timer (a reactor.Timer,
// kept in the Conn) is armed for the last activity plus the timeout, and
// when it fires and finds that bytes moved since, it is armed again for
// the new deadline.
//
// # Rules
//
// A Listener and a Conn belong to one task, like the futures they return:
// their methods are not safe for concurrent use, and Close is called by
// the task that uses them (or by its Cancel, which a runtime runs on the
// worker that owns the task). A Conn has one read future and one write
// future, reused by every Read and Write call, so at most one Read and one
// Write are in flight at a time, and a future from Read or Write must not
// be used after the next call to Read or Write.
//
// Addresses are IP literals with a port ("127.0.0.1:8080", "[::1]:8080",
// ":8080"), parsed with net.SplitHostPort and netip; "localhost" means the
// loopback address. Other names are refused: resolving a name is a blocking
// call, which chapter 7 sends to a pool of its own. Errors are *net.OpError
// values, which name the operation and the addresses, as package net's do.
//
// On systems without epoll or kqueue (Windows) the package compiles and
// Listen and Dial return an error that wraps reactor.ErrUnsupported.
package tcp
