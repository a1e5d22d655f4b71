// Command ch06-echo is chapter 6's echo server on the book's runtime, the
// same server written the usual Go way for comparison, and a load
// generator to measure either of them (or any other echo server).
//
// Usage:
//
//	ch06-echo [-addr HOST:PORT] [-std] [-workers N] [-netpoller]
//	          [-max-conns N] [-idle D] [-grace D] [-v]
//	ch06-echo -load [-addr HOST:PORT] [-conns N] [-size N] [-d D]
//	          [-hist] [-progress]
//	ch06-echo -shortread
//
// Without -load it is a server: it listens on -addr (127.0.0.1:8080 by
// default) and writes back every byte each connection sends, until the
// peer closes its writing side; then it closes the connection too. Try it
// with nc 127.0.0.1 8080.
//
// By default the server runs on chapter 5's runtime (package sched), with
// the connections of package tcp: one task accepts, and each connection
// is a task of its own that runs tcp.Echo. With -std it is the same server
// written the way Go programs usually are: package net, a goroutine per
// connection, a read-and-write loop. -workers sets the runtime's workers
// and, for a fair comparison, GOMAXPROCS for both, unless GOMAXPROCS is set
// in the environment; 0 (the default) leaves both at GOMAXPROCS.
// (GOMAXPROCS=2 with -workers 1 gives the runtime a P to spare for the
// worker that waits in epoll_wait; chapter 6's page measures why.)
// -netpoller makes that worker wait in Go's netpoller instead
// (reactor.Reactor.UseNetpoller, chapter 7).
//
// Both servers take the same limits: at most -max-conns connections at
// once (default 10000; at the limit the server stops accepting, and new
// connections wait in the kernel's backlog until one ends), and a
// connection that moves no byte for -idle (default 5m; 0 means no limit)
// is closed. Errors of single connections (a reset, an idle timeout) are
// logged at debug level and never stop the server.
//
// The server logs with log/slog to standard error: one line when it
// starts, one when a signal starts the shutdown, one when it stops, and a
// warning when it reaches -max-conns (once, until the open connections
// fall to half the limit); with -v also one per connection accepted and
// closed. Logging never blocks the server: a line that finds 1024 lines
// still waiting for standard error is dropped, and the drops are counted
// in a last line.
//
// SIGINT (Ctrl-C) or SIGTERM starts a graceful shutdown: the server stops
// accepting, lets the open connections finish for -grace (default 5s),
// closes the ones still open, and exits with status 0. A second signal
// during the grace period ends it at once, closing every connection, with
// exit status 1.
//
// With -load the program is the load generator instead (see load.go).
// -shortread runs a demonstration instead (Linux only): a read that
// returns fewer bytes than asked for, then bytes that arrive with no
// turn of the reactor, which the next read must return (see
// shortread_linux.go).
//
// Errors: a bad flag or -addr gets one line on stderr and exit status 2;
// an address in use (or any other failure to listen) one line and status 1.
// On systems without epoll or kqueue (Windows) the book's server cannot
// run and says so with status 1; -std works there.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/cli"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// progName starts every error message.
const progName = "ch06-echo"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// config is what a server is told to do.
type config struct {
	addr     string        // where to listen
	workers  int           // runtime workers and GOMAXPROCS; 0: GOMAXPROCS
	netpoll  bool          // the runtime sleeps in Go's netpoller
	maxConns int           // connections open at once
	idle     time.Duration // close a connection idle this long; 0: never
	grace    time.Duration // how long a shutdown waits for open connections
}

const usage = `usage: ch06-echo [-addr HOST:PORT] [-std] [-workers N] [-netpoller]
                 [-max-conns N] [-idle D] [-grace D] [-v]
       ch06-echo -load [-addr HOST:PORT] [-workers N] [-conns N]
                 [-size N] [-d D] [-warmup D] [-pid PID] [-hold]
                 [-hist] [-progress]
       ch06-echo -shortread

An echo server: every byte a connection sends is written back. It runs
on chapter 5's runtime, or with -std on goroutines and package net.
SIGINT or SIGTERM stops it gracefully; a second signal stops it at once.
With -load it is a load generator for any echo server instead.

  -addr HOST:PORT  listen on (with -load: connect to) this address;
                   HOST is an IP address or localhost
                   (default 127.0.0.1:8080)
  -std             serve with goroutines and package net
  -workers N       runtime workers and GOMAXPROCS (unless set in the
                   environment), 0 to 1024 (default 0: GOMAXPROCS)
  -netpoller       the runtime's idle worker sleeps in Go's netpoller,
                   not in epoll_wait (see chapter 7)
  -max-conns N     connections open at once, 1 to 1000000
                   (default 10000)
  -idle D          close a connection idle this long; 0: never
                   (default 5m)
  -grace D         on shutdown, wait this long for open connections
                   (default 5s)
  -v               log every connection (debug level)

  -shortread       show that a short read proves nothing (Linux)

  -load            run the load generator instead of a server
  -conns N         with -load: connections (default 100)
  -size N          with -load: bytes per message (default 64)
  -d D             with -load: how long to measure, or with -hold to
                   hold (default 5s)
  -warmup D        with -load: run this long before measuring
                   (default: a tenth of -d)
  -pid PID         with -load: the server's process, to report its CPU
                   per round trip, or with -hold its memory and
                   descriptors per connection (Linux)
  -hold            with -load: after one round trip each, hold the
                   connections idle instead
  -hist            with -load: after the report, the latency
                   histogram, a line per bucket that counted any
  -progress        with -load: say on stderr what the run is doing,
                   once a second
`

// run is the program: it returns the exit status. Tests call runWith
// instead, to send it signals.
func run(args []string, stdout, stderr io.Writer) int {
	return runWith(args, stdout, stderr, nil)
}

// runWith is run with the channel the server takes its stop signals
// from; nil means SIGINT and SIGTERM, through os/signal.
func runWith(args []string, stdout, stderr io.Writer, sigs <-chan os.Signal) int {
	cmd := cli.Command{Prog: progName, Usage: usage, Stdout: stdout, Stderr: stderr}
	fs := cmd.FlagSet()
	addr := fs.String("addr", "127.0.0.1:8080", "the address to listen on (with -load: to connect to)")
	load := fs.Bool("load", false, "run the load generator instead of a server")
	workers := fs.Int("workers", 0, "the runtime's workers (0: GOMAXPROCS)")
	std := fs.Bool("std", false, "")
	netpoll := fs.Bool("netpoller", false, "")
	maxConns := fs.Int("max-conns", 10_000, "")
	idle := fs.Duration("idle", 5*time.Minute, "")
	grace := fs.Duration("grace", 5*time.Second, "")
	verbose := fs.Bool("v", false, "")
	shortRead := fs.Bool("shortread", false, "")
	lc := addLoadFlags(fs)

	if code, done := cmd.Parse(fs, args); done {
		return code
	}
	usageError := cmd.UsageError
	switch {
	case fs.NArg() > 0:
		return usageError(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	case *workers < 0 || *workers > 1024:
		return usageError(fmt.Sprintf("-workers %d: want 0 to 1024", *workers))
	case *load && *std:
		return usageError("-std is a server; -load is the load generator: use one")
	}
	if *shortRead {
		if fs.NFlag() > 1 {
			return usageError("-shortread takes no other flag")
		}
		out := bufio.NewWriter(stdout)
		err := shortReadDemo(out)
		if ferr := out.Flush(); err == nil {
			err = ferr
		}
		if err != nil {
			return cmd.Fail(err)
		}
		return 0
	}
	if msg := unusedFlag(fs, *load, *std); msg != "" {
		return usageError(msg)
	}
	if _, err := tcp.ParseAddr(*addr); err != nil {
		// Without the "(see ch06-echo -h)" of the other usage errors: the
		// line names the flag, the value and what is wrong with it, and
		// fits a 72-column terminal (and the book's page) for the usual
		// slips, a missing port or a port out of range.
		fmt.Fprintf(stderr, "%s: -addr %q: %s\n", progName, *addr, cli.Escape(err.Error()))
		return 2
	}
	if sigs == nil {
		c := make(chan os.Signal, 2)
		signal.Notify(c, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(c)
		sigs = c
	}
	if *load {
		lc.addr, lc.workers, lc.stop = *addr, *workers, sigs
		if err := lc.check(); err != nil {
			return usageError(err.Error())
		}
		if err := runLoad(lc, stdout, stderr); err != nil {
			return cmd.Fail(err)
		}
		return 0
	}
	switch {
	case *maxConns < 1 || *maxConns > 1_000_000:
		return usageError(fmt.Sprintf("-max-conns %d: want 1 to 1000000", *maxConns))
	case *idle < 0:
		return usageError(fmt.Sprintf("-idle %v: want 0 (no limit) or more", *idle))
	case *grace < 0:
		return usageError(fmt.Sprintf("-grace %v: want 0 or more", *grace))
	}
	cfg := config{addr: *addr, workers: *workers, netpoll: *netpoll, maxConns: *maxConns, idle: *idle, grace: *grace}
	if cfg.workers > 0 && os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(cfg.workers)
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	lw := newLogWriter(stderr, logQueue)
	defer lw.close(logFlushLimit)
	log := newLogger(lw, level)

	var s server
	var err error
	if *std {
		s, err = listenStd(cfg, log)
	} else {
		s, err = listenBook(cfg, log)
	}
	if err != nil {
		return cmd.Fail(err)
	}
	code := serve(s, cfg, log, sigs)
	if n := lw.dropped.Load(); n > 0 {
		log.Warn("log lines dropped: standard error was too slow", "lines", n)
	}
	return code
}

// The flags that only one mode reads. A flag the chosen mode ignores is
// a usage error rather than a silent no-op: -hold without -load would
// otherwise start a server and leave the user to wonder.
var (
	serverFlags = []string{"netpoller", "max-conns", "idle", "grace", "v"}
	loadFlags   = []string{"conns", "size", "d", "warmup", "pid", "hold", "hist", "progress"}
)

// unusedFlag returns the usage error for the first flag set on the
// command line that does nothing in the mode chosen, or "".
func unusedFlag(fs *flag.FlagSet, load, std bool) string {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case load:
		for _, name := range serverFlags {
			if set[name] {
				return fmt.Sprintf("-%s does nothing with -load", name)
			}
		}
	default:
		for _, name := range loadFlags {
			if set[name] {
				return fmt.Sprintf("-%s works only with -load", name)
			}
		}
		if std && set["netpoller"] {
			return "-netpoller does nothing with -std"
		}
	}
	return ""
}

// newLogger returns the servers' logger: slog's text format on w, without
// the time (a terminal or a service manager adds its own), so each line
// reads as level, message and the facts.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// A server is either echo server, as its shutdown sees it. Both keep a
// set of their open connections, so that the shutdown can wait for them
// to finish and close the ones that do not.
type server interface {
	// addr is the address the server listens on.
	addr() string
	// runtime names the server in the logs, and workers its parallelism.
	runtime() (name string, workers int)
	// stopAccepting closes the listener and returns once the accept
	// loop has stopped: no connection is added after it.
	stopAccepting()
	// open is how many connections are open; served how many were
	// accepted in all.
	open() int
	served() int64
	// drained is closed once no connection is open, after stopAccepting.
	drained() <-chan struct{}
	// closeAll closes the connections still open and returns how many
	// there were; close then releases the rest (the runtime) and
	// returns when every connection's task or goroutine has ended.
	closeAll() int
	close() error
}

// ANCHOR: shutdown

// serve runs s until a signal, then shuts it down: stop accepting, wait
// up to cfg.grace for the open connections, close those still open. A
// second signal cuts the wait short.
func serve(s server, cfg config, log *slog.Logger, sigs <-chan os.Signal) int {
	name, workers := s.runtime()
	log.Info("listening",
		"addr", s.addr(), "runtime", name, "workers", workers)
	sig := <-sigs
	log.Info("shutting down",
		"signal", sig.String(), "open", s.open(), "grace", cfg.grace)
	s.stopAccepting()

	grace := time.NewTimer(cfg.grace)
	defer grace.Stop()
	how, code := "graceful", 0
	select {
	case <-s.drained():
	case <-grace.C:
		how = "forced"
	case sig := <-sigs:
		log.Warn("second signal; closing all connections",
			"signal", sig.String())
		how, code = "forced", 1
	}
	open := s.closeAll()
	err := s.close()
	log.Info("stopped", "served", s.served(), "open", open, "shutdown", how)
	if err != nil {
		log.Error("shutdown failed", "err", err)
		code = 1
	}
	return code
}

// ANCHOR_END: shutdown
