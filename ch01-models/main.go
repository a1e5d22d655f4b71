// Command ch01-models prints the length of every line of its input, and
// does it in three models of concurrency, so that they can be held side by
// side and timed.
//
// Usage:
//
//	ch01-models [-model sequential|threads|pool] [-j n] [-runes] [-latency d] [file ...]
//	ch01-models -compare [-j n] [-runes] [-latency d] [-rounds n] [-copies n] [file ...]
//
// For each line it prints the line's length, a space and the line. The
// length is in bytes, or in runes with -runes. With no file arguments it
// counts the copy of input.txt built into the binary; the argument "-"
// means standard input.
//
// A line is everything up to a "\n", which is not part of it; a "\r" right
// before that "\n" is not part of it either, so CRLF files count like LF
// files. Any other "\r" is an ordinary byte and is counted and printed. A
// last line with no "\n" is still a line; an empty file has none. Bytes
// are printed as they were read, valid UTF-8 or not.
//
// The models, chosen with -model:
//
//   - sequential: one file after another, each read with blocking calls and
//     printed as it is read.
//   - threads: one goroutine per file, all started at once.
//   - pool: a pipeline on golang.org/x/sync/errgroup that keeps at most -j
//     files in flight.
//
// Every model prints the same bytes: each file's lines together, files in
// argument order. Errors are the same too. The output of the files before
// the first file (in argument order) that fails is printed in full, then
// one line on stderr names that file, and the exit status is 1. Nothing
// after the failing file is printed.
//
// -compare runs each model over the files -rounds times with the output
// thrown away, and prints the median wall time of each. -latency makes
// every open wait first, as a stand-in for a slow disk or a network.
// -copies times n copies of the list of inputs, so that many inputs can
// be timed without naming many files.
package main

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"
)

// progName starts every error message. It is a constant, not os.Args[0],
// so messages read the same however the program was started.
const progName = "ch01-models"

// defaultInput is what the program counts when it is given no files: the
// three lines this chapter starts from.
//
//go:embed input.txt
var defaultInput string

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// We start with a blocking program that reads lines and
// prints their lengths. Everything else in this file is about running that
// one function, count, in different ways.

// ANCHOR: count

// ANCHOR: count-fn

// count reads r to its end and writes, for each line, its length, a space,
// the line and "\n" to w. The length is in bytes, or in runes if runes is
// set; a byte that is not valid UTF-8 counts as one rune, as it does in a
// Go `for range` over a string.
//
// count holds one line in memory at a time, however long that line is. It
// does not use bufio.Scanner: a Scanner made with bufio.NewScanner stops at
// the first line longer than 64 KiB with bufio.ErrTooLong.
//
// A read error stops count, which returns the error. The line it was in
// the middle of is not printed: its length is not known.
func count(r io.Reader, w io.Writer, runes bool) error {
	br := bufio.NewReader(r)
	var line []byte // reused: it grows to the longest line seen so far
	for {
		var err error
		line, err = readLine(br, line[:0])
		if err != nil && err != io.EOF {
			return err
		}
		if len(line) > 0 {
			if werr := writeCount(w, trimEOL(line), runes); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// ANCHOR_END: count-fn

// ANCHOR: count-read

// readLine appends the next line of br, with its "\n" if it has one, to
// buf. ReadSlice returns at most one buffer (4 KiB) at a time and says
// bufio.ErrBufferFull when the line goes on, so a long line is read in
// pieces and joined here. At the end of the input readLine returns io.EOF
// along with the last line, which is empty if the input ended in "\n".
func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		piece, err := br.ReadSlice('\n')
		buf = append(buf, piece...)
		if err != bufio.ErrBufferFull {
			return buf, err
		}
	}
}

// trimEOL removes the line ending: a final "\n", and a "\r" right before
// it. A "\r" anywhere else, even at the very end of the input, stays.
func trimEOL(line []byte) []byte {
	if l, ok := bytes.CutSuffix(line, []byte("\n")); ok {
		return bytes.TrimSuffix(l, []byte("\r"))
	}
	return line
}

// ANCHOR_END: count-read

// ANCHOR: count-write

// writeCount writes "<length> <line>\n" to w.
func writeCount(w io.Writer, line []byte, runes bool) error {
	n := len(line)
	if runes {
		n = utf8.RuneCount(line)
	}
	var num [24]byte
	prefix := append(strconv.AppendInt(num[:0], int64(n), 10), ' ')
	if _, err := w.Write(prefix); err != nil {
		return err
	}
	if _, err := w.Write(line); err != nil {
		return err
	}
	_, err := w.Write([]byte{'\n'})
	return err
}

// ANCHOR_END: count-write

// ANCHOR_END: count

// Next, where the bytes come from. An input is something count can read:
// a file, standard input, or the embedded default. The models only ever
// see inputs, which is also what lets the tests hand them readers that
// fail or wait on purpose.

// An input opens one thing to count. The caller closes what it returns.
type input func() (io.ReadCloser, error)

// inputsFor turns the command-line arguments into inputs. It reports a
// usage error if "-" appears more than once: standard input can be read
// only once, and two readers sharing it would split its lines between
// them in a different way in every model.
func inputsFor(args []string, stdin io.Reader) ([]input, error) {
	if len(args) == 0 {
		return []input{func() (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(defaultInput)), nil
		}}, nil
	}
	var inputs []input
	sawStdin := false
	for _, name := range args {
		if name == "-" {
			if sawStdin {
				return nil, errors.New(`standard input ("-") can be counted only once`)
			}
			sawStdin = true
			inputs = append(inputs, func() (io.ReadCloser, error) { return io.NopCloser(stdin), nil })
			continue
		}
		inputs = append(inputs, func() (io.ReadCloser, error) { return openFile(name) })
	}
	return inputs, nil
}

// openFile opens the named file for reading. os.Open succeeds on a
// directory, and what the first read then says differs between systems, so
// openFile refuses a directory itself, with the error Linux's read gives.
func openFile(name string) (io.ReadCloser, error) {
	f, err := os.Open(name)
	if err != nil {
		if pe, ok := err.(*fs.PathError); ok {
			pe.Path = printable(pe.Path) // the error repeats the name
		}
		return nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, &fs.PathError{Op: "read", Path: printable(name), Err: syscall.EISDIR}
	}
	return f, nil
}

// options are the settings every model shares.
type options struct {
	runes   bool          // count runes, not bytes
	latency time.Duration // wait this long before each open: a slow disk or network, simulated
	jobs    int           // pool only: at most this many inputs in flight
}

// countInput waits o.latency, opens in, counts it into w and closes it. It
// is the whole job for one input, in every model. If ctx is done before
// the input is opened, countInput returns ctx's error and opens nothing.
func countInput(ctx context.Context, in input, w io.Writer, o options) error {
	if err := wait(ctx, o.latency); err != nil {
		return err
	}
	r, err := in()
	if err != nil {
		return err
	}
	// The input was only read: there is nothing for Close to flush, and
	// its error cannot change what was counted.
	defer r.Close()
	return count(r, w, o.runes)
}

// wait returns after d, or as soon as ctx is done, with ctx's error.
func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A model counts every input and writes the results to w in argument
// order. It stops at the first input that fails, after writing the inputs
// before it in full, and returns that input's error.
type model func(inputs []input, w io.Writer, o options) error

// Model 1, sequential: the plain program. One thread of control, every
// system call blocking: open, read, write, close, then the next file.

// ANCHOR: sequential

// sequential counts one input after the other, straight into w. While a
// read waits for the disk, the whole program waits. It needs no buffer
// beyond count's one line: output is in argument order because the work is.
func sequential(inputs []input, w io.Writer, o options) error {
	for _, in := range inputs {
		if err := countInput(context.Background(), in, w, o); err != nil {
			return err
		}
	}
	return nil
}

// ANCHOR_END: sequential

// Model 2, threads: one goroutine per file. Each still makes blocking
// calls, but while one waits the others go on. The price is that files
// finish in any order and the output must not, so each goroutine counts
// into memory and one printer takes the results in argument order.

// ANCHOR: threads

// threads starts one goroutine per input, all at once, with no limit.
//
// Buffering: each goroutine keeps its input's whole output in memory until
// the printer reaches it, because input i+1 may finish before input i.
// With no limit, that can be every input's output at once.
func threads(inputs []input, w io.Writer, o options) error {
	ctx, cancel := context.WithCancel(context.Background())
	results := make([]chan result, len(inputs))
	var wg sync.WaitGroup
	for i, in := range inputs {
		// Room for one: a goroutine never waits for the printer.
		results[i] = make(chan result, 1)
		wg.Go(func() {
			results[i] <- countToMemory(ctx, in, o)
		})
	}
	err := printInOrder(results, w)
	// Nothing after a failed input is printed: goroutines still
	// waiting to open skip it.
	cancel()
	wg.Wait()
	return err
}

// ANCHOR_END: threads

// A result is one input's output, held in memory, and the error that
// ended it, if any. A failed input's output is what it counted before
// failing: nothing, when the open or first read failed.
type result struct {
	out []byte
	err error
}

// countToMemory runs countInput into a buffer of its own.
func countToMemory(ctx context.Context, in input, o options) result {
	var buf bytes.Buffer
	err := countInput(ctx, in, &buf, o)
	return result{buf.Bytes(), err}
}

// ANCHOR: print-in-order

// printInOrder writes the results to w in argument order, waiting for each
// in turn however early the later ones arrive. It stops at the first
// failed result, after writing what that input counted, and returns its
// error. This is where "first error" comes to mean first in argument
// order, not first in time.
func printInOrder(results []chan result, w io.Writer) error {
	for _, ch := range results {
		r := <-ch
		if _, err := w.Write(r.out); err != nil {
			return err
		}
		if r.err != nil {
			return r.err
		}
	}
	return nil
}

// ANCHOR_END: print-in-order

// Model 3, pool: a pipeline with a limit. A launcher starts workers in
// argument order, never more than -j at a time; workers count; the printer
// takes their results in order. This is the shape of an async runtime's
// program: many tasks in flight, few resources, one ordered consumer.

// ANCHOR: pool

// pool keeps at most o.jobs inputs in flight, where in flight means
// started and not yet taken by the printer.
//
// Buffering: a worker counts its input into memory, then hands the result
// over on an unbuffered channel, so it keeps its errgroup slot until the
// printer takes the result. At most o.jobs outputs are held at once, plus
// the one the printer is writing.
//
// Workers never return an error to the errgroup. errgroup remembers the
// first error in time and cancels the rest, which could stop an earlier
// input that has not failed. Errors travel with the results instead, and
// the printer, which sees them in argument order, cancels what comes
// after. The errgroup is here for SetLimit and Wait.

// ANCHOR: pool-fn

func pool(inputs []input, w io.Writer, o options) error {
	ctx, cancel := context.WithCancel(context.Background())
	results := make([]chan result, len(inputs))
	for i := range results {
		results[i] = make(chan result)
	}
	var g errgroup.Group
	g.SetLimit(o.jobs)
	launched := make(chan struct{})
	go func() { // the launcher: g.Go blocks while o.jobs workers are in flight
		defer close(launched)
		for i, in := range inputs {
			if ctx.Err() != nil {
				return
			}
			g.Go(func() error {
				r := countToMemory(ctx, in, o)
				select {
				case results[i] <- r:
				case <-ctx.Done(): // the printer stopped before input i
				}
				return nil
			})
		}
	}()
	err := printInOrder(results, w)
	cancel()
	<-launched // no g.Go after this, so g.Wait below cannot miss a worker
	g.Wait()
	return err
}

// ANCHOR_END: pool-fn

// ANCHOR_END: pool

// models lists the models by their -model names, in the order -compare
// runs them.
var models = []struct {
	name string
	run  model
}{
	{"sequential", sequential},
	{"threads", threads},
	{"pool", pool},
}

// Last, the measurement. The claim to test is that making a program async
// does not make it faster by itself: it pays only when there is waiting to
// overlap. -compare measures exactly that, with -latency as the waiting.

// ANCHOR: compare

// compare times every model over the inputs and prints a table of median
// wall times to w. Each model runs rounds times, the models taking turns so
// that a slow moment of the machine does not land on one model only, and
// writes its output to io.Discard. One untimed run first reads every input,
// so that every timed run finds the files in the page cache.
func compare(inputs []input, w io.Writer, o options, rounds int) error {
	warm := o
	warm.latency = 0
	if err := sequential(inputs, io.Discard, warm); err != nil {
		return err
	}
	times := make([][]time.Duration, len(models))
	for range rounds {
		for i, m := range models {
			start := time.Now()
			if err := m.run(inputs, io.Discard, o); err != nil {
				return err
			}
			times[i] = append(times[i], time.Since(start)) // monotonic: immune to clock changes
		}
	}
	fmt.Fprintf(w, "%d %s, latency %v per open, median of %d %s, output discarded\n",
		len(inputs), plural(len(inputs), "input", "inputs"), o.latency, rounds, plural(rounds, "run", "runs"))
	fmt.Fprintf(w, "%-12s %12s %14s\n", "model", "wall time", "vs sequential")
	var base time.Duration
	for i, m := range models {
		slices.Sort(times[i])
		median := times[i][len(times[i])/2]
		if i == 0 {
			base = median
		}
		name := m.name
		if name == "pool" {
			name = fmt.Sprintf("pool -j %d", o.jobs)
		}
		fmt.Fprintf(w, "%-12s %9.3f ms %13.2fx\n", name, float64(median)/1e6, float64(median)/float64(max(base, 1)))
	}
	return nil
}

// ANCHOR_END: compare

// plural returns one if n is 1 and many otherwise.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// The command line. run parses the flags, picks the model and turns every
// error into one line on stderr and an exit status: 2 for a usage error,
// 1 for an input that cannot be counted or an output that cannot be written.

const usage = `usage: ch01-models [-model sequential|threads|pool] [-j n] [-runes] [-latency d] [file ...]
       ch01-models -compare [-j n] [-runes] [-latency d] [-rounds n] [-copies n] [file ...]

Prints "<length> <line>" for each line of each file, in bytes (or runes with
-runes). With no files it counts a built-in input.txt; "-" is standard input.

  -model name   sequential (default), threads (a goroutine per file) or
                pool (an errgroup pipeline with at most -j files in flight)
  -j n          pool's limit on files in flight (default 8)
  -runes        count runes, not bytes
  -latency d    wait d (e.g. 20ms) before opening each file, to simulate a slow disk
  -compare      time every model over the files; output is discarded
  -rounds n     with -compare, runs per model (default 5)
  -copies n     with -compare, time n copies of the inputs (default 1)
`

// run is the program: it returns the exit status. Tests call it directly.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o := options{jobs: 8}
	chosen := models[0]
	rounds := 5
	copies := 1
	var doCompare bool

	flags := flag.NewFlagSet(progName, flag.ContinueOnError)
	flags.SetOutput(io.Discard) // run prints the one line itself
	flags.Usage = func() {}
	flags.Func("model", "", func(s string) error {
		for _, m := range models {
			if m.name == s {
				chosen = m
				return nil
			}
		}
		return errors.New("want sequential, threads or pool")
	})
	flags.Func("j", "", positive(&o.jobs))
	flags.Func("rounds", "", positive(&rounds))
	flags.Func("copies", "", positive(&copies))
	flags.BoolVar(&o.runes, "runes", false, "")
	flags.Func("latency", "", func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil {
			return errors.New("want a duration such as 20ms")
		}
		if d < 0 {
			return errors.New("must not be negative")
		}
		o.latency = d
		return nil
	})
	flags.BoolVar(&doCompare, "compare", false, "")

	usageError := func(msg string) int {
		fmt.Fprintf(stderr, "%s: %s (see %s -h)\n", progName, escape(msg), progName)
		return 2
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		return usageError(err.Error())
	}
	modelSet, copiesSet := false, false
	flags.Visit(func(f *flag.Flag) {
		modelSet = modelSet || f.Name == "model"
		copiesSet = copiesSet || f.Name == "copies"
	})
	if copiesSet && !doCompare {
		return usageError("-copies works only with -compare")
	}
	if doCompare && modelSet {
		return usageError("-compare times every model; drop -model")
	}
	if doCompare && slices.Contains(flags.Args(), "-") {
		return usageError(`-compare reads each input several times, so it cannot read standard input ("-")`)
	}
	inputs, err := inputsFor(flags.Args(), stdin)
	if err != nil {
		return usageError(err.Error())
	}
	inputs = slices.Repeat(inputs, copies)

	out := bufio.NewWriterSize(stdout, 64<<10)
	if doCompare {
		err = compare(inputs, out, o, rounds)
	} else {
		err = chosen.run(inputs, out, o)
	}
	// Flush before reporting, so everything counted before the failure is
	// on stdout before the error line reaches stderr.
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", progName, escape(err.Error()))
		return 1
	}
	return 0
}

// printable is s, or s quoted if it holds a byte or rune that is not
// printable: a file name may hold a terminal's escape sequence, which
// must reach the terminal as the bytes it is made of, not act on it.
func printable(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || !strconv.IsGraphic(r) {
			return strconv.QuoteToGraphic(s)
		}
	}
	return s
}

// escape returns msg with every byte that is not printable escaped
// (ESC as \x1b): the last guard of an error line, for a message that
// embeds input no one quoted, such as package flag's "flag provided but
// not defined: -NAME".
func escape(msg string) string {
	if printable(msg) == msg {
		return msg
	}
	q := strconv.QuoteToGraphic(msg)
	return strings.ReplaceAll(q[1:len(q)-1], `\"`, `"`)
}

// positive returns a flag.Func setter that stores a whole number of at
// least 1 in p.
func positive(p *int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil {
			return errors.New("want a whole number")
		}
		if n < 1 {
			return errors.New("must be at least 1")
		}
		*p = n
		return nil
	}
}
