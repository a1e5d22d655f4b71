// Command ch03-executor runs futures on the single-threaded executor from
// package executor, in three short acts.
//
//  1. Tasks that sleep for different times each finish once their deadline
//     has passed: one goroutine waits for all of them, parked between
//     wake-ups instead of spinning. A fourth task awaits the other three
//     through their JoinHandles.
//  2. Join and Select (from package future) run several sleeps inside one
//     task; the executor neither knows nor cares.
//  3. The classic mistake: a task that blocks its goroutine inside Poll
//     (time.Sleep instead of executor.Sleep) stalls every other task on the
//     executor. A ticker that asks for a tick every 10ms reports the gaps it
//     really got, with and without the offender.
//
// It takes no arguments (-h prints its usage) and runs for about a third
// of a second. Apart from the measured durations, its output is always the
// same, except that on a machine too busy to tell 20ms apart, two tasks
// whose timers come due together may print in either order: each timer
// fires on a goroutine of its own (see executor.Sleep), and the two race
// to queue their tasks.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/cli"
	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
)

const progName = "ch03-executor"

const usage = `usage: ch03-executor

Runs futures on a single-threaded executor, in three acts: three sleeping
tasks on one goroutine, Join and Select inside one task, and a task that
blocks the executor's goroutine. It takes no arguments.
`

func main() { os.Exit(run(os.Args[1:])) }

// out is standard output, buffered. The acts print to it; cli.Run
// flushes it after each act and reports a failed write.
var out = bufio.NewWriter(os.Stdout)

// run is the program: it returns the exit status. A failed write to
// standard output is one line on stderr and status 1, as in chapters 1
// and 4.
func run(args []string) int {
	return cli.Run(progName, usage, args, out,
		deadlineOrder, joinAndSelect, blockingMistake)
}

// ms formats d as a whole number of milliseconds, for output where only the
// number varies from run to run.
func ms(d time.Duration) string { return fmt.Sprintf("%dms", d.Round(time.Millisecond).Milliseconds()) }

// ANCHOR: deadline-order

// deadlineOrder spawns three sleepers, longest first, and a fourth task that
// awaits all three JoinHandles. Run polls each sleeper once, parks, and is
// woken by each timer as it fires. Each sleeper prints when it is done.
func deadlineOrder() {
	fmt.Fprintln(out, "1. Three tasks sleep on one goroutine; "+
		"each wakes once its time is up.")
	ex := executor.New()
	start := time.Now()
	sleeper := func(name string, d time.Duration) future.Future[string] {
		return future.Map(executor.Sleep(d), func(struct{}) string {
			fmt.Fprintf(out, "   %-6s (asked for %v) woke after %s\n",
				name, d, ms(time.Since(start)))
			return name
		})
	}
	slow := executor.Spawn(ex, sleeper("slow", 60*time.Millisecond))
	fast := executor.Spawn(ex, sleeper("fast", 20*time.Millisecond))
	medium := executor.Spawn(ex, sleeper("medium", 40*time.Millisecond))

	// A task can await other tasks: a JoinHandle is a future.
	all := executor.Spawn(ex, future.Join(slow, fast, medium))
	ex.Run()

	results, err := all.Result()
	if err != nil {
		panic(err) // cannot happen: no task here panics
	}
	names := make([]string, len(results))
	for i, r := range results {
		names[i] = r.Value
	}
	fmt.Fprintf(out, "   a fourth task joined them in spawn order: %s\n",
		strings.Join(names, ", "))
	fmt.Fprintf(out, "   all done after %s, on one goroutine\n",
		ms(time.Since(start)))
}

// ANCHOR_END: deadline-order

// ANCHOR: join-select

// joinAndSelect runs two tasks at once: one joins two sleeps, the other
// selects between two. Select cancels its loser, which stops its timer.
func joinAndSelect() {
	fmt.Fprintln(out, "\n2. Join and Select run several futures "+
		"inside one task.")
	ex := executor.New()
	start := time.Now()
	named := func(name string, d time.Duration) future.Future[string] {
		return future.Map(executor.Sleep(d),
			func(struct{}) string { return name })
	}
	executor.Spawn(ex, future.Map(
		future.Join(named("a", 20*time.Millisecond),
			named("b", 40*time.Millisecond)),
		func(v []string) struct{} {
			fmt.Fprintf(out, "   Join(a: 20ms, b: 40ms)   = %v after %s\n",
				v, ms(time.Since(start)))
			return struct{}{}
		}))
	executor.Spawn(ex, future.Map(
		future.Select(named("a", 20*time.Millisecond),
			named("b", 40*time.Millisecond)),
		func(s future.Selected[string]) struct{} {
			fmt.Fprintf(out, "   Select(a: 20ms, b: 40ms) = %d (%s) after %s; "+
				"b's timer was stopped\n",
				s.Index, s.Value, ms(time.Since(start)))
			return struct{}{}
		}))
	ex.Run()
}

// ANCHOR_END: join-select

// ANCHOR: ticker

// A ticker is a future written by hand: it sleeps every, n times, and
// records the gap between one tick and the next. Between ticks it holds the
// Sleep it is waiting on; when that is done it starts the next one.
type ticker struct {
	every time.Duration
	left  int                     // ticks still to come
	sleep future.Future[struct{}] // the current wait, or nil
	last  time.Time               // when the previous tick (or the start) was
	gaps  []time.Duration         // what each tick really waited
}

func newTicker(every time.Duration, n int) *ticker {
	return &ticker{every: every, left: n, last: time.Now()}
}

func (t *ticker) Poll(cx *future.Context) future.Poll[[]time.Duration] {
	for {
		if t.sleep == nil {
			if t.left == 0 {
				return future.Done(t.gaps)
			}
			t.sleep = executor.Sleep(t.every)
		}
		if !t.sleep.Poll(cx).IsDone() {
			// The Sleep holds our waker.
			return future.Pending[[]time.Duration]()
		}
		now := time.Now()
		t.gaps = append(t.gaps, now.Sub(t.last))
		t.last, t.sleep = now, nil
		t.left--
	}
}

// ANCHOR_END: ticker

// ANCHOR: blocking

// blockingMistake runs a ticker next to a task that, 25ms in, waits 50ms:
// once politely, with executor.Sleep, and once with time.Sleep inside Poll,
// which holds the executor's only goroutine hostage.
func blockingMistake() {
	fmt.Fprintln(out, "\n3. A task that blocks the thread stalls "+
		"every task on the executor.")
	fmt.Fprintln(out, "   A ticker asks for a tick every 10ms; "+
		"at 25ms a task waits 50ms.")
	polite := func(struct{}) future.Future[struct{}] {
		return executor.Sleep(50 * time.Millisecond) // parks: others run
	}
	blocking := func(*future.Context) future.Poll[struct{}] {
		time.Sleep(50 * time.Millisecond) // blocks the goroutine Run is on
		return future.Done(struct{}{})
	}
	rude := func(struct{}) future.Future[struct{}] {
		return future.Func[struct{}](blocking)
	}
	for _, c := range []struct {
		label string
		wait  func(struct{}) future.Future[struct{}]
	}{
		{"executor.Sleep:", polite},
		{"time.Sleep in Poll:", rude},
	} {
		ex := executor.New()
		tick := executor.Spawn[[]time.Duration](ex,
			newTicker(10*time.Millisecond, 6))
		late := executor.Sleep(25 * time.Millisecond)
		executor.Spawn(ex, future.Then(late, c.wait))
		ex.Run()
		gaps, _ := tick.Result()
		fmt.Fprintf(out, "   %-20s %s\n", c.label, describe(gaps))
	}
}

// ANCHOR_END: blocking

// describe formats gaps as "gaps 10 10 ... ms, longest Nms".
func describe(gaps []time.Duration) string {
	var b strings.Builder
	b.WriteString("gaps")
	var longest time.Duration
	for _, g := range gaps {
		fmt.Fprintf(&b, " %d", g.Round(time.Millisecond).Milliseconds())
		longest = max(longest, g)
	}
	fmt.Fprintf(&b, " ms, longest %s", ms(longest))
	return b.String()
}
