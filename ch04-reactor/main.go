// Command ch04-reactor is chapter 1's line counter once more, now reading a
// pipe or a socket through the reactor from package reactor, with chapter
// 3's executor parked on it. It also has two small demonstrations of what
// the reactor does while the executor sleeps.
//
// Usage:
//
//	ch04-reactor [-runes]     count the lines of standard input
//	ch04-reactor -timers      three sleeps on one thread, and every wait it made
//	ch04-reactor -wake        the two ways a parked thread is woken
//
// For each line of standard input it prints the line's length, a space and
// the line, exactly as chapter 1 does: the length is in bytes, or in runes
// with -runes; "\n" ends a line and a "\r" right before it is dropped; a
// last line with no "\n" is still a line; bytes are printed as they were
// read, valid UTF-8 or not; a line may be of any length.
//
// Standard input must be something the kernel can report readiness for: a
// pipe, a socket, a terminal. A regular file is refused with one line on
// stderr and exit status 1: epoll will not watch one, and kqueue calls it
// always readable, so waiting for it teaches nothing (chapter 1 reads files
// with blocking reads). The program takes no file arguments; opening a file
// is itself a blocking call, and this chapter is about reads.
//
// To read through the reactor, the program puts standard input into
// non-blocking mode. That flag belongs to the open file description, which
// the shell and every process sharing the terminal or pipe see too, so the
// program puts the old flag back before it exits: normally, on an error, and
// on every signal that ends a Go program and may be caught (SIGHUP, SIGINT,
// SIGQUIT, SIGABRT, SIGTERM; after which it dies of the signal, as it would
// have anyway); while it is stopped (Ctrl-Z) the flag is back too. SIGKILL,
// SIGSTOP and a crash leave it set. If the reader of standard output goes
// away (a closed pipe), the program restores the flag and exits with status
// 1, quietly, as cat does.
//
// On systems without epoll or kqueue (Windows), every mode prints the
// reactor's error and exits with status 1.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/asyncbook/asyncbook/ch02-futures/cli"
	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactor"
)

// progName starts every error message. It is a constant, not os.Args[0],
// so messages read the same however the program was started.
const progName = "ch04-reactor"

// stdinFD is standard input's file descriptor on every Unix system.
const stdinFD = 0

func main() {
	catchSIGPIPE()
	os.Exit(run(os.Args[1:], stdinFD, os.Stdout, os.Stderr))
}

// The story of this file, in order: set up the reactor and the executor
// and count the lines of standard input (countInput); reading inside a
// future without breaking the edge-triggered rule (reader); the task that
// counts, a future written by hand (counter); chapter 1's counting, fed a
// chunk at a time (lineWriter); then the two demonstrations.

// ANCHOR: count-input

// countInput counts the lines of the descriptor fd, named name in errors,
// into out. It runs one task on an executor that parks on a reactor: when
// the task has read everything the pipe holds, the executor's goroutine
// sleeps in epoll_wait (or kevent) until more arrives.
func countInput(fd int, name string, out *bufio.Writer, runes bool) error {
	r, err := reactor.New()
	if err != nil {
		return err // reactor.ErrUnsupported, on Windows
	}
	defer r.Close()

	// The reactor only says "try again now"; the reads themselves must
	// never block, or the executor's only goroutine would block with them.
	// nonblock also puts the old flag back, when we return or on a signal.
	restore, err := nonblock(fd)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer restore()

	reg, err := r.Register(fd) // a regular file gets reactor.ErrRegularFile
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer reg.Deregister()

	ex := executor.NewWith(r) // Park and Unpark are the reactor's
	task := executor.Spawn[error](ex, &counter{
		in:    reader{fd: fd, reg: reg},
		name:  name,
		lines: lineWriter{out: out, runes: runes},
		buf:   make([]byte, 64<<10),
	})
	ex.Run()
	cerr, err := task.Result() // err: the task panicked
	return errors.Join(err, cerr)
}

// ANCHOR_END: count-input

// ANCHOR: reader

// A reader reads a registered, non-blocking descriptor from inside a
// future. It keeps the one rule of an edge-triggered reactor for every
// future that reads: it awaits Readable only after a read has found the
// descriptor empty (EAGAIN, "nothing now; a read would block"), because
// the kernel sends the next edge only after it has had nothing to give.
type reader struct {
	fd    int
	reg   *reactor.Registration
	ready future.Future[error] // the Readable being awaited, or nil
}

// errPending is what read returns when the descriptor is empty and the
// reactor now holds the waker of the task that called it.
var errPending = errors.New(
	"pending: waiting for the descriptor to be readable")

// ANCHOR_END: reader

// ANCHOR: reader-read

// read reads into p: n > 0 bytes, or 0 and nil at end of input, or
// errPending, after which the caller returns Pending from its Poll.
func (rd *reader) read(cx *future.Context, p []byte) (int, error) {
	for {
		if rd.ready != nil {
			err, ok := rd.ready.Poll(cx).Value()
			if !ok {
				return 0, errPending // the reactor holds cx's waker
			}
			rd.ready = nil
			if err != nil {
				return 0, err // reactor.ErrClosed
			}
		}
		n, err := readFD(rd.fd, p)
		if err != errWouldBlock {
			return n, err
		}
		// Drained: now wait for the next edge. The loop polls the new
		// Readable at once, which hands it cx's waker, or finds that
		// the descriptor has become readable since the read.
		rd.ready = rd.reg.Readable()
	}
}

// ANCHOR_END: reader-read

// ANCHOR: counter

// A counter is the task that counts the lines of the descriptor. It is a
// future written by hand, like chapter 2's: each Poll reads until the
// reader reports errPending, feeding every chunk to the line writer.
//
// The future is done at end of input, with nil, or at the first error.
type counter struct {
	in    reader
	name  string
	lines lineWriter
	buf   []byte // one read's worth, reused
}

func (c *counter) Poll(cx *future.Context) future.Poll[error] {
	for {
		n, err := c.in.read(cx, c.buf)
		switch {
		case err == errPending:
			// Show what we have before sleeping, so that lines typed
			// at a terminal come out as they are typed.
			if err := c.lines.flush(); err != nil {
				return future.Done(err)
			}
			return future.Pending[error]()
		case err != nil:
			return future.Done(fmt.Errorf("%s: %w", c.name, err))
		case n == 0:
			return future.Done(c.lines.end()) // end of input
		}
		if err := c.lines.write(c.buf[:n]); err != nil {
			return future.Done(err)
		}
	}
}

// ANCHOR_END: counter

// ANCHOR: line-writer

// ANCHOR: line-write

// A lineWriter is chapter 1's count turned inside out: instead of pulling
// lines from a reader, it is pushed whatever bytes a read returned, and
// keeps the start of a line whose end has not arrived yet. Such a line may
// be of any length; only it is held in memory.
type lineWriter struct {
	out   *bufio.Writer
	runes bool
	line  []byte // a line whose "\n" has not been read yet
}

// write counts every line that p completes and keeps the rest.
func (lw *lineWriter) write(p []byte) error {
	for {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			lw.line = append(lw.line, p...)
			return nil
		}
		line := p[:i]
		if len(lw.line) > 0 { // the line began in an earlier read
			lw.line = append(lw.line, line...)
			line = lw.line
		}
		if err := lw.emit(bytes.TrimSuffix(line, []byte("\r"))); err != nil {
			return err
		}
		lw.line, p = lw.line[:0], p[i+1:]
	}
}

// ANCHOR_END: line-write

// ANCHOR: line-emit

// end counts the last line, if the input did not end with "\n", and
// flushes. A "\r" at the very end stays: it ends no line.
func (lw *lineWriter) end() error {
	if len(lw.line) > 0 {
		if err := lw.emit(lw.line); err != nil {
			return err
		}
	}
	return lw.flush()
}

// emit writes "<length> <line>\n".
func (lw *lineWriter) emit(line []byte) error {
	n := len(line)
	if lw.runes {
		n = utf8.RuneCount(line)
	}
	var num [24]byte
	lw.out.Write(strconv.AppendInt(num[:0], int64(n), 10))
	lw.out.WriteByte(' ')
	lw.out.Write(line)
	// A bufio.Writer's error sticks: this reports any of the four.
	return lw.out.WriteByte('\n')
}

// flush writes out what is buffered.
func (lw *lineWriter) flush() error { return lw.out.Flush() }

// ANCHOR_END: line-emit

// ANCHOR_END: line-writer

// ms formats d as a whole number of milliseconds.
func ms(d time.Duration) string {
	return strconv.FormatInt(d.Round(time.Millisecond).Milliseconds(), 10) + "ms"
}

// describeWait formats one call to epoll_wait or kevent, as OnWait reports
// it: how long the reactor allowed it to sleep, and what woke it.
func describeWait(w reactor.Wait) string {
	timeout := "no timeout"
	if w.Timeout >= 0 {
		timeout = "timeout " + ms(w.Timeout)
	}
	what := fmt.Sprintf("%d events", w.Events)
	if w.Events == 1 {
		what = "1 event"
	}
	switch {
	case w.Woken && w.Events == 1:
		what += " (the wake-up)"
	case w.Woken:
		what += " (one is the wake-up)"
	}
	return "wait: " + timeout + " -> " + what
}

// ANCHOR: timers

// timers spawns three sleeps, longest first, on an executor parked on the
// reactor, and prints, as each finishes, the wait in the kernel that ended
// just before it: Park waits until the earliest deadline in the heap.
func timers(out io.Writer) error {
	r, err := reactor.New()
	if err != nil {
		return err
	}
	defer r.Close()
	ex := executor.NewWith(r)

	start := time.Now()
	waits := 0
	var last reactor.Wait
	// OnWait's fn runs on this goroutine, inside Park or TryPark.
	r.OnWait(func(w reactor.Wait) { waits, last = waits+1, w })

	const ms1 = time.Millisecond
	delays := []time.Duration{150 * ms1, 50 * ms1, 100 * ms1}
	fmt.Fprintf(out, "spawned sleeps of %v, %v and %v, in that order\n",
		delays[0], delays[1], delays[2])
	for _, d := range delays {
		executor.Spawn(ex, future.Map(r.Sleep(d), func(struct{}) struct{} {
			fmt.Fprintf(out, "sleep %v done after %s, in wait %d"+
				" (timeout %s, %d events)\n", d, ms(time.Since(start)),
				waits, ms(last.Timeout), last.Events)
			return struct{}{}
		}))
	}
	ex.Run()
	fmt.Fprintf(out, "%d sleeps, %d waits, %s in all\n",
		len(delays), waits, ms(time.Since(start)))
	return nil
}

// ANCHOR_END: timers

// ANCHOR: wake

// wake shows the two things that end a wait. First a goroutine writes to a
// pipe that a task is waiting on: the kernel reports the read end readable.
// Then a goroutine sets a Promise the task awaits, which calls the task's
// waker with no descriptor involved: the executor calls the reactor's
// Unpark, which is the
// cross-thread wake-up (an eventfd, or EVFILT_USER, or a pipe, as the
// reactor's package comment says).
func wake(out io.Writer) error {
	r, err := reactor.New()
	if err != nil {
		return err
	}
	defer r.Close()
	ex := executor.NewWith(r)
	r.OnWait(func(w reactor.Wait) { fmt.Fprintf(out, "  %s\n", describeWait(w)) })
	const after = 100 * time.Millisecond

	// ANCHOR: wake-pipe
	// 1. Readiness, from the kernel.
	rfd, wfd, err := newPipe() // the read end is non-blocking
	if err != nil {
		return err
	}
	defer closeFD(rfd)
	defer closeFD(wfd)
	var wg sync.WaitGroup
	defer wg.Wait() // before the pipe is closed
	reg, err := r.Register(rfd)
	if err != nil {
		return err
	}
	defer reg.Deregister()
	fmt.Fprintf(out, "1. a task reads a pipe; another goroutine"+
		" writes to it after %v\n", after)
	start := time.Now()
	wg.Go(func() {
		time.Sleep(after)
		writeFD(wfd, []byte("ping\n"))
	})
	got := executor.Spawn(ex, readOnce(&reader{fd: rfd, reg: reg}))
	ex.Run()
	res, err := got.Result() // err: the task panicked
	if err != nil {
		return err
	}
	msg, err := res.Get()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   the task read %q after %s\n",
		msg, ms(time.Since(start)))

	// ANCHOR_END: wake-pipe

	// ANCHOR: wake-promise
	// 2. A wake-up from another goroutine, with no descriptor at all.
	fmt.Fprintf(out, "2. a task awaits a promise; another goroutine"+
		" sets it after %v\n", after)
	start = time.Now()
	var p future.Promise[struct{}]
	wg.Go(func() {
		time.Sleep(after)
		p.Set(struct{}{}) // the task's waker: the executor calls r.Unpark
	})
	executor.Spawn[struct{}](ex, &p)
	ex.Run()
	fmt.Fprintf(out, "   the task saw the promise set after %s\n",
		ms(time.Since(start)))
	return nil
}

// ANCHOR_END: wake-promise

// readOnce returns a future that is done with what one read of in
// returned, waiting first if the descriptor has nothing to give.
func readOnce(in *reader) future.Future[future.Result[string]] {
	buf := make([]byte, 64)
	return future.Func[future.Result[string]](func(cx *future.Context) future.Poll[future.Result[string]] {
		n, err := in.read(cx, buf)
		switch {
		case err == errPending:
			return future.Pending[future.Result[string]]()
		case err != nil:
			return future.Done(future.Err[string](err))
		}
		return future.Done(future.Ok(string(buf[:n])))
	})
}

// ANCHOR_END: wake

// The command line. run parses the flags, runs the chosen mode and turns
// every error into one line on stderr and an exit status: 2 for a usage
// error, 1 for anything else.

const usage = `usage: ch04-reactor [-runes]
       ch04-reactor -timers
       ch04-reactor -wake

Prints "<length> <line>" for each line of standard input, in bytes (or runes
with -runes), reading it through a reactor (epoll or kqueue). Standard input
must be a pipe, a socket or a terminal, not a regular file.

  -runes    count runes, not bytes
  -timers   run three sleeps on one thread and show every wait it makes
  -wake     show a wait ended by a pipe, then one ended by another goroutine
`

// run is the program: it returns the exit status. stdin is the descriptor
// to count. Tests call run directly.
func run(args []string, stdin int, stdout, stderr io.Writer) int {
	var runes, showTimers, showWake bool
	cmd := cli.Command{Prog: progName, Usage: usage, Stdout: stdout, Stderr: stderr}
	flags := cmd.FlagSet()
	flags.BoolVar(&runes, "runes", false, "")
	flags.BoolVar(&showTimers, "timers", false, "")
	flags.BoolVar(&showWake, "wake", false, "")
	if code, done := cmd.Parse(flags, args); done {
		return code
	}
	usageError := cmd.UsageError
	if flags.NArg() > 0 {
		return usageError(fmt.Sprintf("unexpected argument %q: the program reads standard input only", flags.Arg(0)))
	}
	modes := 0
	for _, on := range []bool{runes, showTimers, showWake} {
		if on {
			modes++
		}
	}
	if modes > 1 {
		return usageError("use at most one of -runes, -timers and -wake")
	}

	out := bufio.NewWriterSize(stdout, 64<<10)
	var err error
	switch {
	case showTimers:
		err = timers(out)
	case showWake:
		err = wake(out)
	default:
		if err = stdinProblem(stdin); err == nil {
			err = stdinError(stdin, countInput(stdin, "stdin", out, runes))
		}
	}
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	switch {
	case err == nil:
		return 0
	case isBrokenPipe(err):
		return 1 // the reader went away: nobody is left to tell
	default:
		return cmd.Fail(err)
	}
}
