package main

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress tells a person watching a long run what the load generator
// is doing. With -progress it writes a line to standard error when a
// phase starts (connecting, warming up, measuring, holding, stopping)
// and, while the phase lasts, its status once every progressEvery:
// "dialled 2560 of 10000", "measuring: 3s of 10s". Without -progress it
// writes only the lines every run writes (connections that failed), so
// that a run's standard error stays as the book and the scripts show it.
//
// Its lines come from the goroutine that runs the load and from a ticker
// goroutine of its own; mu keeps them whole and in order.
type progress struct {
	w  io.Writer
	on bool // -progress

	mu     sync.Mutex
	status func() string // the phase's status line; nil: none

	quit, done chan struct{} // stop the ticker; closed when it has
}

// progressEvery is how often a phase's status line is written.
var progressEvery = time.Second

// newProgress returns the progress of a run writing to w; with on it
// starts the ticker, which stop ends.
func newProgress(w io.Writer, on bool) *progress {
	p := &progress{w: w, on: on}
	if on {
		p.quit, p.done = make(chan struct{}), make(chan struct{})
		go p.tick()
	}
	return p
}

func (p *progress) tick() {
	defer close(p.done)
	t := time.NewTicker(progressEvery)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-t.C:
			p.mu.Lock()
			if p.status != nil {
				p.printf("%s", p.status())
			}
			p.mu.Unlock()
		}
	}
}

// phase starts a phase: with -progress it writes the line and makes
// status (which may be nil) the phase's status line.
func (p *progress) phase(status func() string, format string, args ...any) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.printf(format, args...)
	p.status = status
}

// note writes a line whether or not -progress is on.
func (p *progress) note(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.printf(format, args...)
}

func (p *progress) printf(format string, args ...any) {
	fmt.Fprintf(p.w, progName+": "+format+"\n", args...)
}

// stop ends the ticker; nothing is written after it returns.
func (p *progress) stop() {
	if !p.on {
		return
	}
	close(p.quit)
	<-p.done
}

// ofTotal is a phase's status: "measuring: 3s of 10s", in whole
// seconds since start.
func ofTotal(what string, start time.Time, total time.Duration) func() string {
	return func() string {
		return fmt.Sprintf("%s: %v of %v", what, time.Since(start).Truncate(time.Second), total)
	}
}
