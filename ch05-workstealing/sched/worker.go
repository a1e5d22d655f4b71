package sched

import (
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

const (
	// eventInterval is how many polls a worker makes between looks at
	// the global queue and at the reactor while it is busy. Go checks its
	// global queue every 61 schedticks (findRunnable in runtime/proc.go),
	// so that two goroutines that keep spawning each other cannot hold a
	// P's local queue for ever; tokio's event_interval is 61 too.
	eventInterval = 61

	// maxLIFORun is how many times in a row a worker runs the task in its
	// LIFO slot before it sends the slot's task to the back of its ring,
	// so that two tasks waking each other cannot starve the rest. tokio's
	// MAX_LIFO_POLLS_PER_TICK is 3.
	maxLIFORun = 3

	// stealRounds is how many times an idle worker tries every other
	// worker before it gives up and parks (stealTries in findRunnable).
	stealRounds = 4
)

// yieldEvery is how long a busy worker may keep its P before it lets Go's
// scheduler run another goroutine there: well under the 10ms after which
// sysmon preempts a goroutine (forcePreemptNS in runtime/proc.go). A var,
// so that a test can make every 61st poll yield.
var yieldEvery = time.Millisecond

// ANCHOR: worker

// ANCHOR: worker-type

// A worker is one goroutine running tasks. Only the worker itself touches
// its fields, except the ring's head (thieves), the counters (Stats) and
// what idleMu guards.
type worker struct {
	rt    *Runtime
	id    int
	ring  ring
	lifo  *header // the task to run next: not stealable
	lifos int     // how many times in a row lifo has been run
	tick  uint32  // polls so far, for the every-61 checks

	cx      future.Context // the latest poll's Context; zero when idle
	yielded time.Time      // when it last let Go run another goroutine

	spinning bool          // counted in rt.nspinning
	token    chan struct{} // wakes the worker from park (capacity 1)
	parked   bool          // on rt.idle; guarded by rt.idleMu
	handoff  bool          // woken by wakep as the spinner; under rt.idleMu

	live   shard     // the tasks that first pended on this worker
	spill  []*header // batches the closed global queue refused
	wakers []future.Waker

	polls, stolen, parks atomic.Uint64
}

// ANCHOR_END: worker-type

// ANCHOR: worker-main

// main is the worker's goroutine: take a task, run it, until Shutdown.
func (w *worker) main() {
	stopped := false
	defer func() {
		if !stopped { // runtime.Goexit ended the goroutine, not the worker
			go w.main()
			return
		}
		w.rt.stopped.Done()
	}()
	for !w.rt.closing.Load() {
		h := w.next()
		if h == nil {
			break
		}
		w.polls.Add(1)
		h.self.run(w)
	}
	stopped = true
}

// ANCHOR_END: worker-main

// ANCHOR_END: worker

// ANCHOR: next

// next returns the task to run next, waiting for one if it must, or nil
// once the runtime is shutting down.
func (w *worker) next() *header {
	w.tick++
	if w.tick%eventInterval == 0 {
		// Fairness: a worker with a full ring would never look at the
		// global queue or the reactor, nor let another goroutine have
		// its P. Every 61 polls it does.
		w.yield()
		w.peekReactor()
		if h := w.rt.global.popInto(&w.ring, 1); h != nil {
			return h
		}
	}
	if h := w.local(); h != nil {
		return h
	}
	return w.findWork()
}

// local takes the task in the LIFO slot, unless it has had maxLIFORun
// turns in a row, or else the task at the head of the ring.
func (w *worker) local() *header {
	if h := w.lifo; h != nil {
		w.lifo = nil
		if w.lifos < maxLIFORun {
			w.lifos++
			return h
		}
		w.put(h) // its turns are used up: to the back of the line
	}
	w.lifos = 0
	return w.ring.pop()
}

// ANCHOR_END: next

// ANCHOR: yield

// yield lets Go's scheduler run the other goroutines waiting for this
// worker's P (runtime.Gosched), unless it did so less than yieldEvery
// ago: a worker is a goroutine that never returns, and with one P they
// would otherwise wait for sysmon to preempt it. One clock read per 61
// polls is cheap; a Gosched per 61 polls was not, with two workers.
func (w *worker) yield() {
	if time.Since(w.yielded) < yieldEvery {
		return
	}
	runtime.Gosched()
	w.yielded = time.Now()
}

// ANCHOR_END: yield

// ANCHOR: push

// pushNext puts h in the LIFO slot, to run as soon as the current task
// returns; the task it displaces goes to the back of the ring.
func (w *worker) pushNext(h *header) {
	if old := w.lifo; old != nil {
		w.pushBack(old)
	}
	w.lifo = h
}

// pushBack puts h at the back of the ring and, if a worker is idle and
// none is looking for work, wakes one to steal it.
func (w *worker) pushBack(h *header) {
	w.put(h)
	w.rt.wakep()
}

// put puts h at the back of the ring. When the ring is full it moves the
// older half of it, and h, to the global queue, so that other workers
// can take them (runqputslow in runtime/proc.go).
func (w *worker) put(h *header) {
	for !w.ring.push(h) {
		first, last, n := w.ring.grabHalf()
		if first != nil {
			last.next, h.next = h, nil
			if !w.rt.global.push(first, h, n+1) {
				// Shutting down: keep the batch where Shutdown
				// will find it.
				w.spill = append(w.spill, first)
			}
			return
		}
	}
}

// ANCHOR_END: push

// wakeNext puts the task behind wk in w's LIFO slot if wk is a task of
// w's runtime, and it is not queued or done already. For any other waker
// it does nothing and reports false: the caller wakes it its own way.
func (w *worker) wakeNext(wk future.Waker) bool {
	h, ok := wk.(*header)
	if !ok || h.rt != w.rt {
		return false
	}
	if h.notify() {
		w.pushNext(h)
	}
	return true
}

// ANCHOR: find

// findWork looks for a task when the worker's own queues are empty: the
// global queue, then the other workers' rings (spinning), and then it
// parks. It returns nil only when the runtime is shutting down.
func (w *worker) findWork() *header {
	rt := w.rt
	for !rt.closing.Load() {
		// The worker's own queues stay empty in this loop: only the
		// worker pushes to them, and every path that does returns.
		h := rt.global.popInto(&w.ring, w.globalBatch())
		if h != nil && !w.spinning && w.ring.len() > 0 {
			// A batch: the rest waits on this ring, and this worker
			// may hold on to the task it runs (a task may block).
			// If a worker is idle and none is spinning, nobody would
			// steal it: wake one. (A spinner wakes one when it stops.)
			rt.wakep()
		}
		if h == nil && rt.steal && w.maySpin() {
			h = w.stealWork()
		}
		if h == nil {
			h = w.park()
		}
		if h != nil {
			if w.spinning {
				w.stopSpinning()
			}
			return h
		}
	}
	return nil
}

// globalBatch is how many tasks to take from the global queue at once:
// a fair share, but no more than half a ring (globrunqget).
func (w *worker) globalBatch() int32 {
	return min(w.rt.global.n.Load()/int32(len(w.rt.workers))+1, ringSize/2)
}

// ANCHOR_END: find

// ANCHOR: spin

// ANCHOR: spin-rule

// maySpin makes the worker a spinning one if it is not already, unless
// half the busy workers are spinning: spinners burn CPU, and a few are
// enough to pick up new work at once (findRunnable's
// "2*nmspinning >= gomaxprocs-npidle" rule).
func (w *worker) maySpin() bool {
	rt := w.rt
	if w.spinning {
		return true
	}
	for {
		ns := rt.nspinning.Load()
		busy := int32(len(rt.workers)) - rt.nidle.Load()
		if 2*ns >= busy {
			return false
		}
		if rt.nspinning.CompareAndSwap(ns, ns+1) {
			w.spinning = true
			return true
		}
	}
}

// stopSpinning ends the spinning state when the worker has found work.
// If it was the last spinner, there may be more work than it found, and
// nobody looking for it: wake another (resetspinning).
func (w *worker) stopSpinning() {
	w.spinning = false
	if w.rt.nspinning.Add(-1) == 0 {
		w.rt.wakep()
	}
}

// ANCHOR_END: spin-rule

// ANCHOR: steal-work

// stealWork tries every other worker, from a random one on, a few
// rounds, and takes half of the first non-empty ring it finds.
func (w *worker) stealWork() *header {
	ws := w.rt.workers
	for range stealRounds {
		start := rand.N(len(ws))
		for i := range ws {
			v := ws[(start+i)%len(ws)]
			if v == w {
				continue
			}
			if h := v.ring.stealInto(&w.ring); h != nil {
				w.stolen.Add(uint64(w.ring.len()) + 1)
				return h
			}
		}
	}
	return nil
}

// ANCHOR_END: steal-work

// ANCHOR_END: spin

// ANCHOR: park

// park puts the worker to sleep until there may be work. The first
// worker to park takes the reactor's blocking turn, with the earliest
// timer as its timeout; the others park on their own token. Before it
// sleeps, a worker stops spinning, counts itself idle, and only then looks
// at every queue once more: a task pushed before it was counted is seen
// by that look, and one pushed after sees it idle and wakes it. proc.go
// calls this "the delicate dance" (findRunnable). park returns a task the
// reactor made ready, or nil to look again.
func (w *worker) park() *header {
	rt := w.rt
	if w.spinning {
		w.spinning = false
		rt.nspinning.Add(-1)
	}
	select {
	case <-w.token: // a stale wake-up from before: forget it
	default:
	}
	driver := rt.polling.CompareAndSwap(false, true)
	w.idle(driver)
	if rt.closing.Load() || w.hasWork() {
		w.unidle(driver)
		rt.hook(hookParkAbort)
		return nil
	}
	w.parks.Add(1)
	if driver {
		// Yield first: what this goroutine readied runs now, not after
		// Go's sysmon takes the P from a thread asleep in the kernel.
		runtime.Gosched()
		wakers := rt.reactor.Turn(true, w.wakers[:0])
		w.unidle(driver)
		return w.enqueue(wakers)
	}
	<-w.token
	w.unidle(driver)
	return nil
}

// ANCHOR_END: park

// idle counts w as idle: parked in the reactor, if it is the driver, or
// on the idle stack. It also forgets the last poll's Context, which
// names that poll's task: an idle worker must not keep a finished task,
// and its result, from the collector.
func (w *worker) idle(driver bool) {
	rt := w.rt
	w.cx = future.Context{}
	rt.nidle.Add(1)
	if driver {
		rt.inReactor.Store(true)
		return
	}
	rt.idleMu.Lock()
	w.parked, w.handoff = true, false
	rt.idle = append(rt.idle, w)
	rt.idleMu.Unlock()
}

// unidle undoes idle. A worker that wakeIdle took off the stack has
// already been uncounted, and has been made a spinner.
func (w *worker) unidle(driver bool) {
	rt := w.rt
	if driver {
		rt.inReactor.Store(false)
		rt.nidle.Add(-1)
		rt.polling.Store(false)
		rt.kickMonitor() // nobody is in the reactor now
		return
	}
	rt.idleMu.Lock()
	if w.parked {
		for i, v := range rt.idle {
			if v == w {
				rt.idle = append(rt.idle[:i], rt.idle[i+1:]...)
				break
			}
		}
		w.parked = false
		rt.nidle.Add(-1)
	}
	w.spinning, w.handoff = w.handoff, false
	rt.idleMu.Unlock()
}

// hasWork reports whether any queue w could take from is non-empty: the
// global queue or, if idle workers steal, a ring (LIFO slots are not
// stealable, and a worker only parks with its own empty). A ring it may
// not steal from is not work for it: counting it would keep it looking,
// at full speed, for work it will never take.
func (w *worker) hasWork() bool {
	rt := w.rt
	if rt.global.n.Load() > 0 {
		return true
	}
	if !rt.steal {
		return false
	}
	for _, v := range rt.workers {
		if v.ring.len() > 0 {
			return true
		}
	}
	return false
}

// ANCHOR: reactor-turn

// ANCHOR: peek

// peekReactor gives the reactor a turn that does not block, unless a
// worker is parked in it or it watches nothing, and queues what it made
// ready. A busy runtime would otherwise never see I/O or timers: nobody
// parks. (Go's sysmon polls the network if nobody has for 10ms.) Both
// checks only save a system call. A worker may park in the reactor just
// after the first; Turn(false) then returns at once rather than wait.
//
// The second loses nothing either. Register counts a descriptor before
// it asks the kernel to watch it, Deregister uncounts it after, and a
// timer is counted while it is in the heap: with nothing counted, a
// turn could find only the cross-thread wake-up, which stays pending and
// makes the next blocking turn return early, as a wake-up may. What is
// added just after the look is as if added just after a turn: the next
// peek, 61 polls on, or a blocking turn, sees it.
func (w *worker) peekReactor() {
	rt := w.rt
	if rt.polling.Load() || !rt.reactor.Watching() {
		return
	}
	w.queueGlobal(rt.reactor.Turn(false, w.wakers[:0]))
}

// ANCHOR_END: peek

// ANCHOR: queue-global

// queueGlobal queues the tasks behind wakers, which a peek returned, at
// the back of the global queue, in one batch, and calls any other waker.
// Not onto this worker's ring: the worker is busy, and tasks that became
// ready while it was go in line behind those that were ready before them.
// On its ring they would jump that line every 61 polls, and with a
// thousand connections the ones left on the global queue would wait for
// the ring to run dry.
func (w *worker) queueGlobal(wakers []future.Waker) {
	rt := w.rt
	var first, last *header
	var n int32
	others := wakers[:0] // wakers that are not tasks of rt
	for i, wk := range wakers {
		wakers[i] = nil
		h, ok := wk.(*header)
		switch {
		case !ok || h.rt != rt:
			others = append(others, wk)
		case !h.notify():
		case first == nil:
			first, last, n = h, h, 1
		default:
			last.next, last = h, h
			n++
		}
	}
	if first != nil {
		last.next = nil
		if !rt.global.push(first, last, n) {
			w.spill = append(w.spill, first) // shutting down: see put
		}
		rt.wakep()
	}
	w.wakers = rt.callWakers(others)
}

// ANCHOR_END: queue-global

// ANCHOR: enqueue

// enqueue queues the tasks behind wakers, which a reactor turn returned:
// every task of this runtime goes onto this worker's ring, in one batch,
// and one idle worker is woken if there is more than one task (it steals
// half, and wakes the next if it finds work: Go's injectglist starts idle
// Ps the same way). Other wakers are called. enqueue returns the first
// task, for the worker to run now.
func (w *worker) enqueue(wakers []future.Waker) *header {
	var first *header
	more := false
	others := wakers[:0] // wakers that are not tasks of w.rt
	for i, wk := range wakers {
		wakers[i] = nil
		h, ok := wk.(*header)
		switch {
		case !ok || h.rt != w.rt:
			others = append(others, wk)
		case !h.notify():
		case first == nil:
			first = h
		default:
			w.put(h)
			more = true
		}
	}
	if more {
		w.rt.wakep()
	}
	if len(others) > 0 && first != nil {
		// A waker may call runtime.Goexit and end this goroutine:
		// first must be where the worker's next goroutine finds it.
		w.pushNext(first)
		first = nil
	}
	w.wakers = w.rt.callWakers(others)
	return first
}

// ANCHOR_END: enqueue

// ANCHOR_END: reactor-turn

// callWakers calls every waker in wks with callWaker, clears wks and
// returns it, emptied, for reuse.
func (rt *Runtime) callWakers(wks []future.Waker) []future.Waker {
	for i, wk := range wks {
		wks[i] = nil
		rt.callWaker(wk, wks[i+1:])
	}
	return wks[:0]
}

// ANCHOR: call-waker

// callWaker calls wk.Wake for a worker between tasks (or for Shutdown),
// and contains what the waker's code may do, as poll does for a task's.
// A panic is recorded, and the caller goes on. A call of runtime.Goexit
// ends this goroutine whatever we do: it is recorded, the wakers after
// wk (rest) are called on a new goroutine, and a worker that called it
// goes on in a new goroutine too (main).
func (rt *Runtime) callWaker(wk future.Waker, rest []future.Waker) {
	ok := false
	defer func() {
		if ok || !rt.stray(recover()) {
			return // returned, or panicked: the caller goes on
		}
		if len(rest) > 0 {
			// Counted as a worker, so that Shutdown waits for it and
			// reports what it records; the caller is counted till now.
			rest = append([]future.Waker(nil), rest...)
			rt.stopped.Add(1)
			go func() {
				defer rt.stopped.Done()
				rt.callWakers(rest)
			}()
		}
	}()
	wk.Wake()
	ok = true
}

// ANCHOR_END: call-waker
