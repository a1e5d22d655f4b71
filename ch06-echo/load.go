package main

import (
	"errors"
	"flag"
	"io"
	"time"
)

// loadConfig is what the load generator is told to do.
type loadConfig struct {
	addr    string        // the server (from -addr)
	workers int           // the runtime's workers (from -workers)
	conns   int           // connections, each a task
	size    int           // bytes per message
	dur     time.Duration // how long to measure
}

// addLoadFlags defines the load generator's flags on fs.
func addLoadFlags(fs *flag.FlagSet) *loadConfig {
	lc := &loadConfig{}
	fs.IntVar(&lc.conns, "conns", 100, "with -load: connections")
	fs.IntVar(&lc.size, "size", 64, "with -load: bytes per message")
	fs.DurationVar(&lc.dur, "d", 5*time.Second, "with -load: how long to measure")
	return lc
}

// runLoad runs the load generator. TODO(skeleton): the load helper
// writes it.
func runLoad(lc *loadConfig, stdout, stderr io.Writer) error {
	return errors.New("the load generator is not written yet")
}
