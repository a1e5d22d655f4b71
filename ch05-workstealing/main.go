// Command ch05-workstealing shows chapter 5's work-stealing runtime at
// work, in two parts.
//
// First, one task spawns -steal tasks of some microseconds of arithmetic
// each. They all start in the ring of the worker that ran the spawner;
// every other worker gets work only by stealing it. The program prints how
// many tasks each worker polled and how many it stole.
//
// Then it spawns -tasks trivial tasks from one task and waits for them
// all, four ways: on the runtime, as goroutines, and on two pools of
// goroutines (one fed through a channel, one through a mutex-protected
// slice), and prints the time per task of each. These are single runs,
// for a feel of the sizes; the book's tables come from go test -bench.
//
// Usage:
//
//	ch05-workstealing [-workers N] [-steal N] [-tasks N]
//
// -workers sets the number of workers and, for a fair comparison,
// GOMAXPROCS; by default both are GOMAXPROCS.
//
// With -handover it runs, instead, the demo of the reactor's hand-over:
// on two workers, task A wakes from a 50ms sleep and computes without
// yielding, while task B sleeps 300ms. It runs twice, without the monitor
// that hands the reactor on and with it, and prints what happened in
// order.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"

	"github.com/asyncbook/asyncbook/ch02-futures/cli"
	"github.com/asyncbook/asyncbook/ch05-workstealing/internal/compare"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
)

// progName starts every error message.
const progName = "ch05-workstealing"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// ANCHOR: stealing

// stealing spawns n churn tasks from one task on a fresh runtime of
// workers workers, and prints what each worker did.
func stealing(out io.Writer, workers, n int) error {
	rt, err := sched.New(workers)
	if err != nil {
		return err
	}
	if err := compare.Churn(rt, n); err != nil {
		return err
	}
	st := rt.Stats()
	if err := rt.Shutdown(); err != nil {
		return err
	}
	fmt.Fprintf(out, "%d tasks spawned by one task, on %s:\n",
		n, plural(workers, "worker"))
	fmt.Fprintf(out, "  worker  polled  stolen\n")
	for i := range st.Polls {
		fmt.Fprintf(out, "  %6d  %6d  %6d\n", i, st.Polls[i], st.Stolen[i])
	}
	return nil
}

// ANCHOR_END: stealing

// ANCHOR: spawn-table

// spawnTable spawns and joins n trivial tasks each of the four ways and
// prints the time per task.
func spawnTable(out io.Writer, workers, n int) error {
	rt, err := sched.New(workers)
	if err != nil {
		return err
	}
	defer rt.Shutdown()
	chans, mutexes := compare.NewChanPool(), compare.NewMutexPool()
	defer chans.Close()
	defer mutexes.Close()

	ways := []struct {
		name string
		run  func() error
	}{
		{"sched", func() error { return compare.Spawn(rt, n) }},
		{"goroutines", func() error { compare.Goroutines(n); return nil }},
		{"chan pool", func() error { chans.Run(n); return nil }},
		{"mutex pool", func() error { mutexes.Run(n); return nil }},
	}
	fmt.Fprintf(out, "spawn and join %d trivial tasks, %s:\n",
		n, plural(workers, "worker"))
	for _, w := range ways {
		start := time.Now()
		if err := w.run(); err != nil {
			return err
		}
		perTask := time.Since(start).Nanoseconds() / int64(n)
		fmt.Fprintf(out, "  %-10s  %5d ns/task\n", w.name, perTask)
	}
	return nil
}

// ANCHOR_END: spawn-table

// ANCHOR: handover-demo

// handover runs tasks A and B on a runtime of two workers, with or
// without the monitor, and prints what happened, in order. A round
// that cannot tell (see handoverRound) is run again, up to five times.
func handover(out io.Writer, monitor bool) error {
	for try := 1; ; try++ {
		log, clean, err := handoverRound(monitor)
		if err != nil {
			return err
		}
		if clean || try == 5 {
			fmt.Fprintf(out, "monitor %s:\n", onOff(monitor))
			log.print(out)
			return nil
		}
	}
}

// handoverRound is one run of A and B. It reports whether the run was
// clean: the worker that polled A and B parked again at once, and A
// began computing well before B's timer was due. On a machine so busy
// that either failed, a worker may have entered the reactor late, or one
// turn may have handed out both timers, with or without the monitor.
func handoverRound(monitor bool) (log *events, clean bool, err error) {
	rt, err := sched.NewConfig(sched.Config{
		Workers: 2, NoHandover: !monitor,
	})
	if err != nil {
		return nil, false, err
	}
	log = new(events)
	parks := func() uint64 { return sum(rt.Stats().Parks) }
	waitUntil(func() bool { return parks() >= 2 })
	p0, start := parks(), time.Now()
	var aComputing, bDone atomic.Bool
	var aStart time.Time
	a := sched.Spawn(rt, future.Then(rt.Sleep(50*time.Millisecond),
		func(struct{}) future.Future[struct{}] {
			aStart = time.Now()
			log.add("A wakes and computes, without yielding")
			aComputing.Store(true)
			computeUntil(bDone.Load, aLimit(monitor))
			aComputing.Store(false)
			log.add("A stops computing; B %s", done(bDone.Load()))
			return future.Ready(struct{}{})
		}))
	b := sched.Spawn(rt, future.Map(rt.Sleep(300*time.Millisecond),
		func(struct{}) struct{} {
			log.add("B wakes, %s", when(aComputing.Load()))
			bDone.Store(true)
			return struct{}{}
		}))
	waitUntil(func() bool { return parks() > p0 })
	reparked := time.Since(start)
	executor.BlockOn[future.Result[struct{}]](a)
	executor.BlockOn[future.Result[struct{}]](b)
	clean = reparked < 30*time.Millisecond &&
		aStart.Sub(start) < 200*time.Millisecond
	return log, clean, rt.Shutdown()
}

// ANCHOR_END: handover-demo

// waitUntil waits, yielding, until cond holds, or for at most 10s.
func waitUntil(cond func() bool) {
	deadline := time.Now().Add(10 * time.Second)
	for !cond() && time.Now().Before(deadline) {
		runtime.Gosched()
	}
}

// sum adds up a per-worker count.
func sum(xs []uint64) uint64 {
	var n uint64
	for _, x := range xs {
		n += x
	}
	return n
}

// aLimit is how long A computes at most. Without the monitor B cannot
// run before A ends, so a second, well past B's timer, shows it; with
// the monitor B runs within a few ticks of its timer, and the generous
// limit only keeps a very busy machine from changing what is printed.
func aLimit(monitor bool) time.Duration {
	if monitor {
		return 5 * time.Second
	}
	return time.Second
}

// done, when and onOff are the words the demo prints.
func done(b bool) string  { return pick(b, "has run", "has not run") }
func when(b bool) string  { return pick(b, "while A computes", "after A") }
func onOff(b bool) string { return pick(b, "on", "off") }

func pick(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// computeUntil loops until stop reports true or limit has passed: a task
// that computes without yielding.
func computeUntil(stop func() bool, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for !stop() && time.Now().Before(deadline) {
	}
}

// events is a log that tasks on any worker add to, in order.
type events struct {
	mu    sync.Mutex
	lines []string
}

func (e *events) add(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lines = append(e.lines, fmt.Sprintf(format, args...))
}

func (e *events) print(out io.Writer) {
	for _, l := range e.lines {
		fmt.Fprintf(out, "  %s\n", l)
	}
}

// plural returns "1 worker" or "n workers".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

const usage = `usage: ch05-workstealing [-workers N] [-steal N] [-tasks N]
       ch05-workstealing -handover

Runs chapter 5's work-stealing runtime: first tasks spawned by one task
and stolen by the other workers, then spawn-and-join of trivial tasks on
the runtime, as goroutines and on two goroutine pools.

  -workers N  workers, and GOMAXPROCS (default: GOMAXPROCS)
  -steal N    tasks in the stealing demo, 1 to 256 (default 200)
  -tasks N    tasks in the spawn comparison, 1 to 10000000 (default 200000)
  -handover   instead, show the reactor's hand-over on two workers,
              without the monitor and with it
`

// run is the program: it returns the exit status. Tests call it directly.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := cli.Command{Prog: progName, Usage: usage, Stdout: stdout, Stderr: stderr}
	flags := cmd.FlagSet()
	workers := flags.Int("workers", runtime.GOMAXPROCS(0), "")
	steal := flags.Int("steal", 200, "")
	tasks := flags.Int("tasks", 200_000, "")
	handoverDemo := flags.Bool("handover", false, "")
	if code, done := cmd.Parse(flags, args); done {
		return code
	}
	usageError := cmd.UsageError
	others := 0
	flags.Visit(func(f *flag.Flag) {
		if f.Name != "handover" {
			others++
		}
	})
	switch {
	case *handoverDemo && others > 0:
		return usageError("-handover takes no other flag")
	case flags.NArg() > 0:
		return usageError(fmt.Sprintf("unexpected argument %q", flags.Arg(0)))
	case *workers < 1 || *workers > 1024:
		return usageError(fmt.Sprintf("-workers %d: want 1 to 1024", *workers))
	case *steal < 1 || *steal > 256:
		return usageError(fmt.Sprintf("-steal %d: want 1 to 256, what fits in one worker's ring", *steal))
	case *tasks < 1 || *tasks > 10_000_000:
		return usageError(fmt.Sprintf("-tasks %d: want 1 to 10000000", *tasks))
	}
	if *handoverDemo {
		return demo(stdout, stderr)
	}
	runtime.GOMAXPROCS(*workers)

	// The output goes through a buffer whose error sticks, so that a
	// failed write (a full disk) is reported once, at a Flush, instead of
	// being lost in an unchecked Fprintf. Each part is flushed when it is
	// done, so the first shows while the second runs.
	out := bufio.NewWriter(stdout)
	err := stealing(out, *workers, *steal)
	if err == nil {
		err = out.Flush()
	}
	if err == nil {
		fmt.Fprintln(out)
		err = spawnTable(out, *workers, *tasks)
	}
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return cmd.Fail(err)
	}
	return 0
}

// demo runs the hand-over demo, without the monitor and with it, and
// returns the exit status.
func demo(stdout, stderr io.Writer) int {
	out := bufio.NewWriter(stdout)
	err := handover(out, false)
	if err == nil {
		err = handover(out, true)
	}
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", progName, err)
		return 1
	}
	return 0
}
