package main

import (
	"log/slog"
	"sync"
)

// connSet is what a server counts of its open connections, so that a
// graceful shutdown can wait for them to end, and so that the accept loop
// can stop at -max-conns. Each server keeps the connections themselves
// as it likes, under the same mutex (the book's in a slice of its tasks,
// -std in a map of its net.Conns); the book's server also keeps its
// parked accept loop under it.
type connSet struct {
	mu      sync.Mutex
	n       int           // open connections
	total   int64         // connections accepted
	closing bool          // the server has stopped accepting
	empty   chan struct{} // closed once closing and no connection is open

	// An episode at -max-conns: full is set when the accept loop first
	// stops at the limit, and cleared when the open connections fall to
	// resume (half the limit), so that a server that stays near its limit
	// logs it once, not at every connection that ends.
	full   bool
	resume int
}

func newConnSet(maxConns int) connSet {
	return connSet{empty: make(chan struct{}), resume: maxConns / 2}
}

// addLocked counts a connection in. The caller holds mu.
func (s *connSet) addLocked() {
	s.n++
	s.total++
}

// fullLocked notes that the accept loop stopped at -max-conns, and
// reports whether that begins an episode: then the caller logs it. The
// caller holds mu.
func (s *connSet) fullLocked() bool {
	first := !s.full
	s.full = true
	return first
}

// logFull is the warning that begins an episode at -max-conns.
func logFull(log *slog.Logger, open, resume int) {
	log.Warn("at max-conns; new connections wait in the kernel's backlog",
		"open", open, "quiet_until_open", resume)
}

// removeLocked counts a connection out, and tells a shutdown that waits
// for the last one that it has gone. The caller holds mu.
func (s *connSet) removeLocked() {
	s.n--
	if s.n <= s.resume {
		s.full = false
	}
	if s.closing && s.n == 0 {
		close(s.empty)
	}
}

// beginClosing marks the server as no longer accepting: from now on the
// last connection to leave closes empty (now, if none is open).
func (s *connSet) beginClosing() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing = true
	if s.n == 0 {
		close(s.empty)
	}
}

func (s *connSet) open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func (s *connSet) served() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

func (s *connSet) drained() <-chan struct{} { return s.empty }
