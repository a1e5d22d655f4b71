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
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

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

// plural returns "1 worker" or "n workers".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

const usage = `usage: ch05-workstealing [-workers N] [-steal N] [-tasks N]

Runs chapter 5's work-stealing runtime: first tasks spawned by one task
and stolen by the other workers, then spawn-and-join of trivial tasks on
the runtime, as goroutines and on two goroutine pools.

  -workers N  workers, and GOMAXPROCS (default: GOMAXPROCS)
  -steal N    tasks in the stealing demo, 1 to 256 (default 200)
  -tasks N    tasks in the spawn comparison, 1 to 10000000 (default 200000)
`

// run is the program: it returns the exit status. Tests call it directly.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := cli.Command{Prog: progName, Usage: usage, Stdout: stdout, Stderr: stderr}
	flags := cmd.FlagSet()
	workers := flags.Int("workers", runtime.GOMAXPROCS(0), "")
	steal := flags.Int("steal", 200, "")
	tasks := flags.Int("tasks", 200_000, "")
	if code, done := cmd.Parse(flags, args); done {
		return code
	}
	usageError := cmd.UsageError
	switch {
	case flags.NArg() > 0:
		return usageError(fmt.Sprintf("unexpected argument %q", flags.Arg(0)))
	case *workers < 1 || *workers > 1024:
		return usageError(fmt.Sprintf("-workers %d: want 1 to 1024", *workers))
	case *steal < 1 || *steal > 256:
		return usageError(fmt.Sprintf("-steal %d: want 1 to 256, what fits in one worker's ring", *steal))
	case *tasks < 1 || *tasks > 10_000_000:
		return usageError(fmt.Sprintf("-tasks %d: want 1 to 10000000", *tasks))
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
