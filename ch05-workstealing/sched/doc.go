// Package sched is a work-stealing runtime for the futures of package
// future: many workers poll tasks in parallel, idle workers steal from
// busy ones, and the worker that would otherwise sleep waits in chapter
// 4's reactor for I/O and timers.
//
// # Design
//
// A Runtime has a fixed number of workers, each a goroutine. Each worker
// owns a ring of 256 tasks that only it pushes to, and a LIFO slot that
// holds the task to run next. One global queue, under a mutex, holds the
// tasks that no worker owns: spawned or woken from outside the runtime,
// or moved out of a full ring.
//
//	         Spawn, Wake from outside
//	                   │
//	                   ▼
//	    ┌──────── global queue ◄──────── half of a full ring
//	    │ every 61 polls, or when idle         ▲
//	    ▼                                      │
//	worker 0: [LIFO] [ring ░░░░░░      ] ──────┘
//	worker 1: [LIFO] [ring             ] ◄── steals half of a ring
//	worker 2: parked on its token
//	worker 3: parked in the reactor (epoll_wait, timeout = next timer)
//
// A worker takes its next task from, in order: the LIFO slot (at most
// three times in a row), its ring, the global queue, and then the other
// workers' rings, taking half of the first non-empty one it finds. Every
// 61st poll it looks at the global queue first and gives the reactor a
// turn that does not block, so that neither can be starved by a worker
// that always has local work; at the same point, at most once a
// millisecond, it lets Go's scheduler run another goroutine on its P
// (runtime.Gosched), so that the goroutines a worker that never returns
// shares a P with do not wait for sysmon to preempt it.
//
// A worker that finds nothing parks. The first to park yields to Go's
// scheduler once, so that what it readied runs before it sleeps, then
// takes the reactor's blocking turn, with the earliest timer as its
// timeout; the others park on a token of their own. When the turn returns, that worker
// queues the tasks it made ready on its own ring, in one batch, and wakes
// one idle worker to steal from it if there was more than one.
//
// While that worker runs what the turn made ready, nobody is in the
// reactor. A monitor goroutine, in the manner of Go's sysmon, looks every
// 10ms: if nobody has been in the reactor for a whole tick, it wakes an
// idle worker, which takes the turn, so that a timer falls due on time
// even while the worker that left runs a long poll. While every worker
// is idle the monitor sleeps, and the next worker to leave the reactor
// wakes it.
//
// # Spinning
//
// Waking a parked goroutine costs a kernel wake-up of its thread, tens of
// microseconds. So the runtime never wakes a worker per task: a worker
// that is out of work spins, stealing, before it parks, and new work
// wakes a parked worker only when no worker is spinning (wakep). A
// spinner that finds work stops spinning and, if it was the last one,
// wakes the next: parallelism grows one worker at a time, as long as
// there is work to find. At most half the busy workers spin at once.
//
// Before it parks, a worker stops spinning, counts itself idle, and only
// then looks at every queue once more. A task pushed before it was counted
// is seen by that look; a task pushed after sees an idle worker and wakes
// it. Go's scheduler does the same dance (findRunnable in
// runtime/proc.go).
//
// # Tasks
//
// A task is its future and its result, in one allocation: the
// JoinHandle that Spawn returns. The Context its Poll gets belongs to
// the worker, which fills in the task's waker before each poll. Its
// state is one atomic word:
// notified (queued, or to be queued again), running, complete and
// cancelled, and two bits for the handle's side (a waker is stored; the
// result was taken). A wake sets notified, and only the wake that finds
// the task idle queues it, so a task is on at most one queue, is never
// polled by two workers at once, and a wake during its poll makes the
// worker queue it again when the poll ends.
//
// Go has no thread-local "current worker", so a Wake cannot tell whether
// a worker calls it: it queues the task on the global queue. The paths
// that know which worker they are on use its own queues instead: a task
// woken during its own poll, the tasks of a reactor turn taken by a
// worker that was idle, a task awaiting one that completes (LIFO slot),
// and SpawnFrom and WakeFrom, which take the Context of the task that
// calls them.
//
// # Rules
//
// Spawn, Wake, Abort, Stats and SpawnBlocking may be called from any
// goroutine; SpawnFrom and WakeFrom only from inside a task's Poll, with
// its Context; BlockOn and Shutdown never from inside a task. A task
// that blocks its goroutine (time.Sleep, a blocking read, a long loop)
// holds its worker: the task in that worker's LIFO slot waits, and
// the rest of its ring waits to be stolen. SpawnBlocking is for such work.
//
// A task whose Poll, or whose future's Cancel, panics is done, with a
// *executor.PanicError; one that calls runtime.Goexit is done with
// executor.ErrGoexit, and its worker goes on in a new goroutine. A waker
// that the runtime calls outside any task and that panics or calls
// Goexit is recorded, and Shutdown returns it. Shutdown stops the
// workers, cancels every task still pending (future.Cancel, then
// ErrShutdown), each on its own, and closes the reactor.
package sched
