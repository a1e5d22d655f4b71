package sched

import "sync"

// ANCHOR: shard

// ANCHOR: shard-add

// A shard is one worker's list of live tasks: those whose first poll on
// that worker returned Pending, and that are not complete yet. A task
// that has never been polled is on a run queue, and one that finished in
// its first poll is never listed, so Shutdown finds every live task on a
// queue or a shard. The list is a slice; each task knows its shard (by
// worker number) and its slot, so removing it is a swap with the last
// one. The mutex is the worker's own, contended only when a task
// completes on a worker other than the one where it first pended. This
// is the shape of tokio's OwnedTasks (runtime/task/list.rs), sharded by
// worker.
type shard struct {
	mu     sync.Mutex
	tasks  []*header
	closed bool // Shutdown has taken the list: no more tasks may join
}

// add puts h on the list of worker id, or reports false if the runtime
// has shut down.
func (s *shard) add(h *header, id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	h.home, h.slot = int32(id)+1, int32(len(s.tasks))
	s.tasks = append(s.tasks, h)
	return true
}

// ANCHOR_END: shard-add

// ANCHOR: shard-remove

// remove takes h off the list, if it is still on it.
func (s *shard) remove(h *header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h.home <= 0 {
		return // Shutdown took the whole list already
	}
	last := s.tasks[len(s.tasks)-1]
	s.tasks[h.slot], last.slot = last, h.slot
	s.tasks[len(s.tasks)-1] = nil
	s.tasks = s.tasks[:len(s.tasks)-1]
	h.home = -1
}

// close refuses new tasks and returns the live ones.
func (s *shard) close() []*header {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	live := s.tasks
	for _, h := range live {
		h.home = -1
	}
	s.tasks = nil
	return live
}

// ANCHOR_END: shard-remove

// ANCHOR_END: shard
