package main

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// The same echo server the way Go programs are usually written: package
// net, one goroutine accepting, one goroutine per connection running a
// plain read-and-write loop. Go's runtime does what the book's runtime
// does for the other server (its netpoller parks a goroutine whose read
// would block), behind blocking calls.

// stdServer is the echo server on goroutines and package net.
type stdServer struct {
	ln    net.Listener
	log   *slog.Logger
	cfg   config
	slots chan struct{}  // a token per open connection: at most -max-conns
	stop  chan struct{}  // closed by stopAccepting
	done  chan struct{}  // closed when the accept loop has returned
	wg    sync.WaitGroup // the connections' goroutines

	connSet
	conns map[net.Conn]struct{} // the open connections; guarded by mu
}

// listenStd listens on cfg.addr with package net and starts the accept
// loop's goroutine. The address is parsed as the book's server parses
// it, so that both accept the same -addr and listen on the same socket.
func listenStd(cfg config, log *slog.Logger) (*stdServer, error) {
	ap, err := tcp.ParseAddr(cfg.addr)
	if err != nil {
		return nil, err
	}
	network := "tcp"
	if ap.Addr().Is4() && ap.Addr().IsUnspecified() {
		network = "tcp4" // "tcp" would make 0.0.0.0 a dual-stack socket
	}
	ln, err := net.ListenTCP(network, net.TCPAddrFromAddrPort(ap))
	if err != nil {
		return nil, err
	}
	s := &stdServer{
		ln: ln, log: log, cfg: cfg,
		slots:   make(chan struct{}, cfg.maxConns),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		connSet: newConnSet(cfg.maxConns),
		conns:   make(map[net.Conn]struct{}),
	}
	go s.acceptLoop()
	return s, nil
}

// ANCHOR: std-accept

// acceptLoop accepts connections and starts a goroutine for each, until
// stopAccepting. At -max-conns it waits for a slot before it calls Accept
// again, so new connections wait in the kernel's backlog meanwhile.
func (s *stdServer) acceptLoop() {
	defer close(s.done)
	fails := 0
	for {
		select {
		case s.slots <- struct{}{}:
		default:
			s.mu.Lock()
			first := s.fullLocked()
			s.mu.Unlock()
			if first {
				logFull(s.log, len(s.slots), s.resume)
			}
			select {
			case s.slots <- struct{}{}:
			case <-s.stop:
				return
			}
		}
		c, err := s.ln.Accept()
		if err != nil {
			<-s.slots
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if fails++; fails == 1 { // EMFILE, say: log once, back off
				s.log.Warn("accept failed; retrying", "err", err)
			}
			select {
			case <-time.After(min(5*time.Millisecond<<min(fails-1, 8), time.Second)):
			case <-s.stop:
				return
			}
			continue
		}
		fails = 0
		s.add(c)
		go s.serveConn(c)
	}
}

// ANCHOR_END: std-accept

// ANCHOR: std-conn

// serveConn is one connection's goroutine.
func (s *stdServer) serveConn(c net.Conn) {
	defer s.wg.Done()
	n, err := echoStd(c, s.cfg.idle)
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.removeLocked()
	s.mu.Unlock()
	s.log.Debug("closed", "remote", c.RemoteAddr(), "bytes", n, "err", err)
	<-s.slots // after the log line: the next connection is logged after it
}

// ANCHOR_END: std-conn

// ANCHOR: std-echo

// echoStd writes back everything c sends until the peer closes its
// writing side, then closes its own. Before each read it moves the
// deadline idle ahead, which covers the write that follows too: a peer
// that neither sends nor reads for that long fails the call with
// os.ErrDeadlineExceeded.
//
// It is not io.Copy(c, c), the one-line echo. On Linux, TCPConn.ReadFrom
// gives a TCP source to splice(2) through a pipe (spliceFrom in
// net/splice_linux.go, Splice in internal/poll/splice_linux.go), and a
// connection waiting for bytes holds that pipe: three descriptors per
// connection instead of one, so 10,000 connections would not fit under a
// limit of 20,000 descriptors. A 4 KiB buffer per connection it is.
func echoStd(c net.Conn, idle time.Duration) (int64, error) {
	buf := make([]byte, 4<<10)
	var n int64
	for {
		if idle > 0 {
			c.SetDeadline(time.Now().Add(idle))
		}
		r, err := c.Read(buf)
		if r > 0 {
			w, werr := c.Write(buf[:r])
			n += int64(w)
			if werr != nil {
				return n, werr
			}
		}
		if err == io.EOF {
			return n, c.(*net.TCPConn).CloseWrite()
		}
		if err != nil {
			return n, err
		}
	}
}

// ANCHOR_END: std-echo

// add puts c in the set of open connections and counts its goroutine.
func (s *stdServer) add(c net.Conn) {
	s.log.Debug("accepted", "remote", c.RemoteAddr())
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.addLocked()
	s.mu.Unlock()
	s.wg.Add(1)
}

func (s *stdServer) addr() string { return s.ln.Addr().String() }

func (s *stdServer) runtime() (string, int) { return "go", runtime.GOMAXPROCS(0) }

func (s *stdServer) stopAccepting() {
	close(s.stop)
	s.ln.Close()
	<-s.done
	s.beginClosing()
}

// closeAll closes the connections still open: each goroutine's blocked
// Read or Write returns net.ErrClosed, and the goroutine ends.
func (s *stdServer) closeAll() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
	return len(s.conns)
}

// close waits for every connection's goroutine to end.
func (s *stdServer) close() error {
	s.wg.Wait()
	return nil
}
