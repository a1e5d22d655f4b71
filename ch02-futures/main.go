// Command ch02-futures polls futures by hand, with no executor, to show the
// three facts the rest of the book is built on:
//
//  1. Making a future runs none of its code. Only Poll does.
//  2. A future finishes over several polls, and each Poll that returns
//     Pending says "not yet".
//  3. Polling again at once, in a loop, works but burns the CPU.
//  4. A future that arranges a wake-up lets the caller sleep until polling
//     can succeed. That wake-up is the Waker, and arranging it is rule 1 of
//     the contract in package future.
//
// Part 5 drives Select the same way, and shows Cancel reaching the loser.
//
// It takes no arguments (-h prints its usage). Its output is the same on
// every run except the number of polls the busy loop wastes.
package main

import (
	"bufio"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/cli"
	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

const progName = "ch02-futures"

const usage = `usage: ch02-futures

Polls futures by hand, with no executor: a lazy future, a countdown, a
deadline polled in a busy loop and then woken by its waker, and Select.
It takes no arguments.
`

func main() { os.Exit(run(os.Args[1:])) }

// out is standard output, buffered. The parts print to it; cli.Run
// flushes it after each part and reports a failed write.
var out = bufio.NewWriter(os.Stdout)

// run is the program: it returns the exit status. A failed write to
// standard output is one line on stderr and status 1, as in chapters 1
// and 4.
func run(args []string) int {
	return cli.Run(progName, usage, args, out,
		lazy, countdownByHand, deadlineBusy, deadlineWoken, selectWoken)
}

// ANCHOR: lazy

// lazy shows that making a future runs none of its code: the line printed
// inside the future appears only after main polls it.
func lazy() {
	fmt.Fprintln(out, "1. A future does nothing until it is polled")
	fmt.Fprintln(out, "main: making the future")
	f := future.Func[int](func(*future.Context) future.Poll[int] {
		fmt.Fprintln(out, "future: first poll, doing the work now")
		return future.Done(42)
	})
	fmt.Fprintln(out, "main: made it; nothing has run yet")
	fmt.Fprintln(out, "main: polling it")
	p := f.Poll(future.NewContext(future.NoopWaker))
	fmt.Fprintln(out, "main: Poll returned", p)
}

// ANCHOR_END: lazy

// ANCHOR: countdown

// countdown is a future that needs n+1 polls: n that return Pending, then
// one that returns Done. It has nothing to wait for, so it keeps rule 1 by
// waking its own waker before each Pending: "poll me again, I can go on".
type countdown struct {
	left int
}

func (c *countdown) Poll(cx *future.Context) future.Poll[string] {
	if c.left == 0 {
		return future.Done("liftoff")
	}
	fmt.Fprintf(out, "countdown: %d; waking my waker\n", c.left)
	c.left--
	cx.Waker().Wake()
	return future.Pending[string]()
}

// ANCHOR_END: countdown

// ANCHOR: countdown-loop

// countdownByHand polls a countdown until it is done, counting the polls and
// the wake-ups the future asked for.
func countdownByHand() {
	fmt.Fprintln(out, "\n2. A countdown from 2 needs 3 polls")
	wakes := 0
	cx := future.NewContext(future.WakerFunc(func() { wakes++ }))
	f := &countdown{left: 2}
	for poll := 1; ; poll++ {
		p := f.Poll(cx)
		fmt.Fprintf(out, "main: poll %d returned %v (wake-ups so far: %d)\n",
			poll, p, wakes)
		if p.IsDone() {
			return
		}
	}
}

// ANCHOR_END: countdown-loop

// deadlineIn is how far ahead the deadlines of parts 3 to 5 lie.
const deadlineIn = 50 * time.Millisecond

// ANCHOR: deadline

// ANCHOR: deadline-poll

// deadline is a future that is done, with its name, once time.Now() has
// passed at. When it returns Pending it arms a timer for at that wakes the
// waker of the latest poll (rules 1 and 2). Cancel stops the timer.
type deadline struct {
	name string
	at   time.Time

	mu      sync.Mutex   // guards the rest: the timer fires elsewhere
	waker   future.Waker // the waker from the latest Pending poll
	timer   *time.Timer  // armed on the first Pending poll
	stopped bool         // Cancel stopped the timer before it fired
}

func newDeadline(name string, d time.Duration) *deadline {
	return &deadline{name: name, at: time.Now().Add(d)}
}

func (d *deadline) Poll(cx *future.Context) future.Poll[string] {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !time.Now().Before(d.at) {
		if d.timer != nil {
			d.timer.Stop() // it may not have fired yet; it is not needed now
		}
		return future.Done(d.name)
	}
	d.waker = cx.Waker() // rule 2: the latest waker is the one to wake
	if d.timer == nil {
		d.timer = time.AfterFunc(time.Until(d.at), d.fire) // rule 1
	}
	return future.Pending[string]()
}

// ANCHOR_END: deadline-poll

// ANCHOR: deadline-fire

// fire runs on the timer's goroutine and wakes the latest waker.
func (d *deadline) fire() {
	d.mu.Lock()
	w := d.waker
	d.mu.Unlock()
	w.Wake() // outside the lock: a waker may poll, and Poll takes the lock
}

// Cancel stops the timer, so that an abandoned deadline wakes nobody.
func (d *deadline) Cancel() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.stopped = d.timer.Stop()
	}
}

// ANCHOR_END: deadline-fire

// ANCHOR_END: deadline

// ANCHOR: busy

// deadlineBusy polls a deadline in a tight loop with the NoopWaker, which
// ignores every wake-up: the loop does not wait for one, it just polls
// again. Every poll but the last is wasted.
func deadlineBusy() {
	fmt.Fprintf(out, "\n3. A deadline %v ahead, "+
		"busy-polled with the NoopWaker\n", deadlineIn)
	cx := future.NewContext(future.NoopWaker)
	f := newDeadline("deadline", deadlineIn)
	polls := 1
	for !f.Poll(cx).IsDone() {
		polls++
	}
	fmt.Fprintf(out, "main: Done after %d polls, all but the last wasted\n",
		polls)
}

// ANCHOR_END: busy

// ANCHOR: woken

// deadlineWoken drives the same kind of future with a waker that signals a
// channel, and waits on that channel between polls: the goroutine sleeps
// until the deadline's timer fires.
func deadlineWoken() {
	fmt.Fprintf(out, "\n4. The same deadline, driven by its waker\n")
	polls := pollWithWaker(newDeadline("deadline", deadlineIn))
	fmt.Fprintf(out, "main: Done after %d polls: "+
		"one to arm the timer, one to finish\n", polls)
}

// pollWithWaker polls f until it is done, waiting between polls for f to
// wake it, and returns how many times it polled. It is an executor for one
// future; chapter 3 grows it into a real one.
func pollWithWaker[T any](f future.Future[T]) int {
	woken := make(chan struct{}, 1)
	cx := future.NewContext(future.WakerFunc(func() {
		select {
		case woken <- struct{}{}:
		default: // a wake-up is already waiting; one is enough (rule 4)
		}
	}))
	for poll := 1; ; poll++ {
		p := f.Poll(cx)
		fmt.Fprintf(out, "main: poll %d returned %v\n", poll, p)
		if p.IsDone() {
			return poll
		}
		<-woken
		fmt.Fprintln(out, "main: woken")
	}
}

// ANCHOR_END: woken

// ANCHOR: select-demo

// selectWoken races a near deadline against one an hour away. Select
// finishes when the near one does and cancels the far one, which stops its
// timer: nothing is left to fire an hour from now.
func selectWoken() {
	fmt.Fprintln(out, "\n5. Select of two deadlines, driven by its waker")
	near := newDeadline("near", deadlineIn)
	far := newDeadline("far", time.Hour)
	polls := pollWithWaker(future.Select[string](near, far))
	far.mu.Lock()
	stopped := far.stopped
	far.mu.Unlock()
	fmt.Fprintf(out, "main: Done after %d polls; "+
		"Cancel stopped the far timer: %v\n", polls, stopped)
}

// ANCHOR_END: select-demo
