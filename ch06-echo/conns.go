package main

import "sync"

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
}

func newConnSet[K comparable, V any]() connSet[K, V] {
	return connSet[K, V]{conns: make(map[K]V), empty: make(chan struct{})}
}

// removeLocked takes k out of the set, and tells a shutdown that waits
// for the set to empty that it has. The caller holds mu.
func (s *connSet[K, V]) removeLocked(k K) {
	delete(s.conns, k)
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
