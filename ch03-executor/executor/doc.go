// Package executor runs futures from package future: BlockOn drives one
// future on the calling goroutine, and Executor runs many tasks on one
// goroutine. Neither ever spins: with nothing to poll, they park.
//
// # Parking
//
// A Parker holds at most one token. Unpark puts the token in (a second
// Unpark before the next Park is absorbed); Park takes it out, waiting until
// there is one. Because the token outlives the Unpark that made it, the
// order "poll returns Pending, a waker calls Unpark, the executor calls
// Park" cannot lose the wake-up: Park finds the token and returns at once.
// Park may also return with no wake-up at all; every loop here polls again
// and parks again, so a spurious return costs one poll.
//
// # The executor
//
// Executor keeps a run queue of tasks that are ready to be polled. Run takes
// the whole queue at once, polls each task in it, and repeats; when the
// queue is empty and tasks are still pending, it parks. A task's waker
// (the task itself) puts the task back on the queue and unparks Run:
//
//	Spawn ──► run queue ──► Run polls ──► Done ──► JoinHandle gets the value
//	            ▲                 │
//	            │              Pending (the future kept the waker)
//	            │                 ▼
//	            └──── Wake ◄── timer, I/O, another task, any goroutine
//
// Each task has an atomic state (idle, scheduled, running, notified, done)
// that makes three promises: a task is on the queue at most once however
// often it is woken; a wake that arrives while the task is being polled is
// remembered and the task is polled again afterwards, never concurrently;
// and a wake after the task is done does nothing.
//
// Run and every Poll happen on the goroutine that called Run. Wakers and
// Spawn may be called from any goroutine. A future that blocks its
// goroutine (time.Sleep, a blocking read, a long computation) inside Poll
// blocks every task on the executor; the chapter's program measures it.
//
// A task that panics is done: its JoinHandle reports a *PanicError with the
// panic value and stack, and the other tasks carry on. A task that calls
// runtime.Goexit (t.FailNow does) is done too, with ErrGoexit; Goexit
// cannot be stopped, so it ends the goroutine that called Run, and the
// tasks Run had not polled yet wait on the queue for the next Run.
//
// # Fairness: a turn for the parker every 61 polls
//
// Run parks only when its queue is empty. A Parker that delivers wake-ups
// only from inside Park (chapter 4's reactor: I/O and timers are found by
// the wait in the kernel) would then be starved by a task that keeps
// waking itself, such as future.Yield in a loop: the queue is never empty,
// so Run never parks, and a 10ms sleep never ends. So if the Parker is
// also a TryParker, Run calls TryPark, a turn that asks for what is ready
// without sleeping, after every 61 polls, whether or not the queue is
// empty. 61 is tokio's default event_interval; a timer or socket then waits
// behind at most 61 polls of other tasks, and the system call is paid once
// per 61 polls. The tasks such a turn wakes join the queue and are polled
// in Run's next round, like every other woken task. (tokio also holds back
// the wake-ups a task gives itself until after the turn; here they cannot
// jump the queue anyway, since Run polls the queue in rounds.) Go's
// scheduler keeps the same promise its own way: findRunnable polls the
// network without blocking (netpoll(0)) before it steals work, and sysmon
// polls it if no one has for 10ms (runtime/proc.go).
//
// # Timers
//
// Sleep is built on time.AfterFunc, and that is a stopgap. Every Sleep that
// is polled adds a timer to the Go runtime's own timer heap (one heap per P,
// in runtime/time.go), and when the timer fires the runtime calls time's
// goFunc, which starts a new goroutine to run our callback, whose only job
// is to call Wake. Stopping the timer only marks it; the runtime removes it
// from its heap later. So each sleep costs a runtime timer plus, if it
// fires, a goroutine: another scheduler doing our scheduler's work. Chapter
// 4's reactor keeps the deadlines in its own heap and uses the earliest one
// as the timeout of epoll_wait (or kevent), so that waiting for I/O and
// waiting for time are one system call on the executor's own goroutine.
package executor
