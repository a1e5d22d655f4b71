package main

import (
	"log/slog"
	"sync"
)

// connSet is a server's set of open connections, kept so that a graceful
// shutdown can wait for it to empty, and close what is left when the
// grace period ends. Both servers keep one, keyed by what they hold of a
// connection (the book's its task, -std its net.Conn); the book's server
// also keeps its parked accept loop under the same mutex.
type connSet[K comparable, V any] struct {
	mu      sync.Mutex
	conns   map[K]V       // open connections
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

func newConnSet[K comparable, V any](maxConns int) connSet[K, V] {
	return connSet[K, V]{conns: make(map[K]V), empty: make(chan struct{}), resume: maxConns / 2}
}

// fullLocked notes that the accept loop stopped at -max-conns, and
// reports whether that begins an episode: then the caller logs it. The
// caller holds mu.
func (s *connSet[K, V]) fullLocked() bool {
	first := !s.full
	s.full = true
	return first
}

// logFull is the warning that begins an episode at -max-conns.
func logFull(log *slog.Logger, open, resume int) {
	log.Warn("at max-conns; new connections wait in the kernel's backlog",
		"open", open, "quiet_until_open", resume)
}

// removeLocked takes k out of the set, and tells a shutdown that waits
// for the set to empty that it has. The caller holds mu.
func (s *connSet[K, V]) removeLocked(k K) {
	delete(s.conns, k)
	if len(s.conns) <= s.resume {
		s.full = false
	}
	if s.closing && len(s.conns) == 0 {
		close(s.empty)
	}
}

// beginClosing marks the server as no longer accepting: from now on the
// last connection to leave closes empty (now, if none is open).
func (s *connSet[K, V]) beginClosing() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing = true
	if len(s.conns) == 0 {
		close(s.empty)
	}
}

func (s *connSet[K, V]) open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *connSet[K, V]) served() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

func (s *connSet[K, V]) drained() <-chan struct{} { return s.empty }
