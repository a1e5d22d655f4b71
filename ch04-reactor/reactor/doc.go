// Package reactor turns the kernel's readiness events into wake-ups for
// futures. It is the other half of chapter 3's executor: the executor
// polls the tasks that can make progress, and when none can, it parks on
// the reactor, which puts the goroutine to sleep inside epoll_wait (Linux)
// or kevent (macOS and the BSDs) until a descriptor becomes ready, the
// earliest timer expires, or another goroutine calls Unpark. Then the
// reactor wakes the wakers that were waiting for what happened, the
// executor finds their tasks on its queue, and the loop goes round:
//
//	executor: queue empty ──► Park ──► epoll_wait(timeout = earliest timer)
//	    ▲                                       │
//	    │                                       ▼
//	  polls the woken tasks ◄── Wake ◄── ready descriptors, expired timers
//
// A Reactor implements the executor's Parker, so executor.NewWith(r) runs
// tasks on it. Futures reach it in two ways: Registration.Readable and
// Registration.Writable for a descriptor, and Reactor.Sleep for time.
//
// # Edge-triggered, and what that asks of the caller
//
// Every descriptor is registered once, for reading and writing together,
// edge-triggered (EPOLLET on epoll, EV_CLEAR on kqueue), as Go's own
// netpoller does (netpollopen in runtime/netpoll_epoll.go). The kernel then
// reports a direction when it becomes ready, not for as long as it stays
// ready. A level-triggered reactor would report a readable pipe on every
// wait until it was drained, and so would have to change its interest (one
// more system call) each time a task stopped waiting; edge-triggered
// registration is made once and never touched again until Deregister.
//
// The price is one rule, which every caller must keep:
//
//	When Readable (or Writable) is done, read (or write) until the call
//	fails with EAGAIN before awaiting Readable (or Writable) again.
//
// Readiness is only known to be gone when the kernel says EAGAIN. A caller
// that stops early and awaits again may wait forever: the data already in
// the pipe made its edge long ago. The reactor remembers each edge in a
// per-direction flag, so an edge that arrives while nobody is waiting is
// not lost: the next Readable is done at once. That can make a wake-up
// spurious (the read finds EAGAIN straight away), never missing.
//
// One piece of news outlives its edge: that the peer has closed its writing
// side, or that the descriptor is in error. Registration.ReadClosed says so
// from the edge that carried it on, so that a reader whose read came back
// short (the descriptor is empty) can tell whether it may wait for the next
// edge, or must read once more to find end of file (chapter 6 does this).
//
// # Regular files
//
// A regular file has no readiness: the kernel will always serve a read,
// waiting for the disk inside the call if it must. epoll_ctl refuses such
// a descriptor with EPERM, and kqueue reports it readable at once, always.
// Register checks with fstat and returns ErrRegularFile instead of a
// confusing EPERM or a reactor that spins. File I/O does not become
// asynchronous by being wrapped; chapter 1 reads files with blocking reads,
// and so does Go's os package (newFile in os/file_unix.go gives up on the
// poller for them).
//
// # Timers
//
// Sleep puts a deadline in a binary min-heap kept by the reactor. Park
// uses the earliest deadline as the timeout of its wait, so waiting for
// time and waiting for I/O are one system call, and a timer costs a heap
// entry, not a goroutine or a thread. Each entry holds its deadline beside
// the pointer to its timer, as Go's timerWhen does (runtime/time.go), so
// that keeping the heap in order reads only the heap's array. Adding a
// timer is O(log n); cancelling one is O(1) on average, because Cancel
// only marks the timer, as Go's (*timer).stop does: marked entries leave
// when they reach the top or the tail, or all at once when they are more
// than a quarter of the heap (Go's (*timers).cleanHead and adjust). The
// timeout is rounded up to whole milliseconds, the unit of epoll_wait, so
// that a wait never ends just before its deadline, and capped at 1e9ms
// (about 11.5 days), as Go's netpoll caps it, so that it fits
// epoll_wait's C int; a wait that ends at the cap simply waits again.
//
// # Waking a parked goroutine from another one
//
// Unpark may be called from any goroutine. It leaves a token that makes
// the next Park return (or the current one, if it has not yet begun to
// wait), and if Park is already blocked in the kernel it writes to an
// eventfd (Linux), triggers an EVFILT_USER event (macOS, FreeBSD), or
// writes a byte to a pipe (NetBSD, OpenBSD), each of which the wait is
// watching. Go's runtime splits the BSDs the same way, in
// runtime/netpoll_kqueue_event.go and runtime/netpoll_kqueue_pipe.go. Unpark makes that system call only when the parked goroutine
// is asleep in the kernel; a wake-up from a waker that Park itself calls
// costs nothing. Go does the same with netpollBreak in
// runtime/netpoll_epoll.go and its netpollWakeSig flag.
//
// # Go's netpoller
//
// Go's runtime has this same reactor built in. netpollinit creates the
// epoll instance and the eventfd, netpollopen registers each socket
// edge-triggered when package net creates it, and netpoll(delay) waits and
// returns the goroutines whose descriptors became ready
// (runtime/netpoll_epoll.go, runtime/netpoll_kqueue.go). The scheduler
// calls netpoll(0) from findRunnable in runtime/proc.go when it looks for
// work, blocks in netpoll(delay) when there is none, with the delay set by
// the earliest timer, and sysmon polls it too if nobody has for 10ms.
//
// # A turn that does not sleep
//
// Park is the turn the executor takes when it has nothing to poll. TryPark
// is the same turn with a timeout of zero: the executor takes it every 61
// polls while it is busy (executor.TryParker), because the reactor finds
// ready descriptors and due timers only when it asks the kernel, and a
// busy executor would otherwise never ask.
//
// # A turn for a scheduler with many workers
//
// Turn is Park (block set) or TryPark (block not set) that hands back the
// wakers it collected instead of calling them, for a scheduler whose
// parking worker queues the woken tasks itself, in one batch, as Go's
// findRunnable hands netpoll's list to injectglist (runtime/proc.go).
// Everything else may be called from every worker at once, and is built
// for it: each Registration has a mutex of its own, the table from
// descriptors to Registrations a mutex, and the timers theirs,
// and no system call (epoll_ctl, kevent, the wake-up's write) is made
// under a lock that a poll, a Sleep or a turn takes.
//
// # Rules
//
// One turn at a time: Park, TryPark and Turn are serialised (a second
// caller waits for the first), except that Turn(false), a turn that must
// not block, returns at once if another turn is under way. Turn's caller owns the wakers it returns and must wake
// (or otherwise schedule) every one of them; they are not called for it.
// Everything else is safe from any goroutine, concurrently. Close ends
// every wait: pending Readable and Writable futures finish with ErrClosed,
// and pending sleeps finish early. After Close, Park has no kernel to wait
// in and waits for Unpark instead, so that an executor with a task still
// pending sleeps instead of spinning.
//
// One Readable and one Writable may be pending per Registration: an edge
// is consumed by the future it makes done, so a second waiter would wait
// for an edge that never comes. Polling a second one while the first is
// pending panics; cancel the first to hand over.
//
// A waker that panics inside Park or TryPark does not stop the others:
// they wake every waker they collected and then panic again with the
// first panic's value, leaving the reactor as usable as before.
//
// On systems without epoll or kqueue (Windows) the package compiles and New
// returns an error that wraps ErrUnsupported.
package reactor
