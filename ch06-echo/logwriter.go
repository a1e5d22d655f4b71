package main

import (
	"bytes"
	"io"
	"sync/atomic"
	"time"
)

// A logWriter carries the servers' log lines to standard error from a
// goroutine of its own, so that logging never waits for the terminal. A
// write to a pipe that nobody reads blocks once the pipe's buffer is
// full; a worker of the book's runtime blocked there stalls every task
// queued behind it, and the connections' goroutines of -std pile up the
// same way, so either server would stop serving because of its log.
// Instead, when queueLen lines already wait, a line is dropped, and
// counted: the server says how many at the end.
type logWriter struct {
	w       io.Writer
	lines   chan []byte
	dropped atomic.Int64
	done    chan struct{} // closed when the goroutine has written all
}

// logQueue is how many log lines may wait for standard error.
const logQueue = 1024

// logFlushLimit bounds the wait, at exit, for the last lines to reach a
// standard error that may never take them.
const logFlushLimit = time.Second

func newLogWriter(w io.Writer, queueLen int) *logWriter {
	l := &logWriter{w: w, lines: make(chan []byte, queueLen), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for line := range l.lines {
			l.w.Write(line) // an error has nowhere to go
		}
	}()
	return l
}

// Write queues a copy of p, or drops it if the queue is full. It never
// blocks and never fails.
func (l *logWriter) Write(p []byte) (int, error) {
	select {
	case l.lines <- bytes.Clone(p):
	default:
		l.dropped.Add(1)
	}
	return len(p), nil
}

// close stops the writer, after no more Writes, and waits up to limit for
// the queued lines to be written. It reports whether they were.
func (l *logWriter) close(limit time.Duration) bool {
	close(l.lines)
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-l.done:
		return true
	case <-t.C:
		return false
	}
}
