package reactor

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
)

var (
	// ErrUnsupported is wrapped by the error New returns on a system with
	// neither epoll nor kqueue.
	ErrUnsupported = errors.New("reactor: needs epoll (Linux) or kqueue (macOS, BSD)")

	// ErrRegularFile is what Register returns for a regular file, which
	// has no readiness to wait for.
	ErrRegularFile = errors.New("reactor: regular file: the kernel reports it always ready; read it with a blocking read")

	// ErrClosed is what Register returns on a closed Reactor, and what a
	// Readable or Writable future is done with once its Registration is
	// deregistered or its Reactor closed.
	ErrClosed = errors.New("reactor: closed")
)

// errInterrupted is what a poller's wait returns when a signal interrupted
// the system call (EINTR). Park waits again, with a fresh timeout.
var errInterrupted = errors.New("reactor: wait interrupted")

// A poller is the kernel's side of the reactor: epoll on Linux, kqueue on
// macOS and the BSDs. Only a turn calls wait, and only one turn at a time.
// add, del and wake may be called from any goroutine, concurrently with
// each other and with wait (the kernel serialises them); each runs under
// the Reactor's kernelMu held for reading, and close under it held for
// writing, so that none reaches a descriptor close has closed.
type poller interface {
	// add registers fd for read and write readiness, edge-triggered,
	// tagged with gen: every event wait reports for fd carries it (or
	// 0, where the kernel has no room for a tag).
	add(fd int, gen uint32) error
	// del removes fd. After it returns the kernel reports nothing for fd
	// that a later wait could return.
	del(fd int) error
	// wait blocks until at least one event, the timeout (negative: no
	// timeout) or a wake, stores what it got in evs and returns how many.
	// It returns errInterrupted for EINTR.
	wait(evs []event, timeout time.Duration) (int, error)
	// wake makes a blocked wait return, or the next one return at once.
	wake() error
	// useNetpoller makes the waits that may block from now on wait in
	// Go's netpoller (see Reactor.UseNetpoller).
	useNetpoller() error
	// close releases every descriptor the poller opened.
	close() error
}

// An event is one readiness report from the kernel.
type event struct {
	fd          int
	gen         uint32 // the tag fd was added with; 0: untagged
	read, write bool   // the direction is ready, or hung up, or in error
	eof         bool   // the peer closed its writing side, or an error: reads never block again
	wake        bool   // the cross-thread wake-up; fd is meaningless
}

// Wait describes one wait system call (epoll_wait or kevent) that Park or
// TryPark made. OnWait reports them.
type Wait struct {
	Timeout time.Duration // the timeout given to the kernel; -1 means none
	Events  int           // how many events the kernel returned, the wake-up included
	Woken   bool          // one of them was the cross-thread wake-up
}

// ANCHOR: reactor-type

// A Reactor waits for descriptors and timers on behalf of an executor.
// Create one with New and release it with Close. Its state is split by
// who touches it (see kernel, in workers.go).
type Reactor struct {
	p      poller
	events []event        // a turn's events from the kernel; under parkMu
	wakers []future.Waker // Park's wakers to call; under parkMu

	// token and sleeping make Park and Unpark a one-token parker: Park
	// sets sleeping before it looks at the token, Unpark sets the token
	// before it looks at sleeping (sequentially consistent atomics).
	token    atomic.Bool // an Unpark that no Park has consumed yet
	sleeping atomic.Bool // Park is in, or about to enter, the kernel

	parkMu     sync.Mutex    // held for a whole turn; Close takes it too
	closedWake chan struct{} // Park's wait once closed (parkClosed)

	// kernelMu is held for reading around every system call on the
	// poller's descriptors but the wait, and for writing by Close.
	kernelMu sync.RWMutex
	closed   atomic.Bool // set once, by Close, under kernelMu and parkMu

	regsMu sync.Mutex      // guards regs and gen (a Registration has its own)
	regs   []*Registration // by descriptor number (see remember)
	gen    uint32          // the tag of the latest Registration; never 0

	timers timers // the heap of pending Sleeps, with a mutex of its own

	onWait    atomic.Pointer[func(Wait)]
	afterWait func() // tests only: runs in a turn between wait and dispatch
}

// ANCHOR_END: reactor-type

// New returns a Reactor, with its poller and its wake-up descriptor open.
// On a system without epoll or kqueue it returns an error that wraps
// ErrUnsupported.
func New() (*Reactor, error) {
	p, err := newPoller()
	if err != nil {
		return nil, err
	}
	return &Reactor{
		p:          p,
		events:     make([]event, 128),
		closedWake: make(chan struct{}, 1),
		timers:     timers{epoch: time.Now()},
	}, nil
}

// Close wakes every pending wait (Readable and Writable futures finish
// with ErrClosed, sleeps finish early) and closes every descriptor the
// Reactor opened. It does not close registered descriptors: they belong
// to the caller. If Park is running on another goroutine, Close unparks it
// and waits for it to return. Close may be called more than once; later
// calls return nil. A waker that panics does not stop the others: Close
// wakes every one and then panics again with the first panic's value, as
// Park does.
func (r *Reactor) Close() error {
	r.Unpark()
	r.parkMu.Lock()
	defer r.parkMu.Unlock()

	// From here on no Register, Deregister or Unpark makes a system call:
	// each looks at closed under kernelMu first. A Register that has put
	// its Registration in the table takes it out again (ErrClosed).
	r.kernelMu.Lock()
	if r.closed.Load() {
		r.kernelMu.Unlock()
		return nil
	}
	r.closed.Store(true)
	err := r.p.close()
	r.kernelMu.Unlock()

	r.regsMu.Lock()
	regs := r.regs
	r.regs = nil
	r.regsMu.Unlock()
	var wakers []future.Waker
	for _, g := range regs {
		if g == nil {
			continue
		}
		g.mu.Lock()
		wakers = g.closeLocked(wakers)
		g.mu.Unlock()
	}
	wakers = r.timers.close(wakers)
	wakeAll(wakers) // every waker, even if one panics; then that panic
	return err
}

// OnWait makes Park and TryPark call fn after each wait system call
// returns, on the goroutine that called them, before they wake anyone.
// TryPark's waits have a Timeout of 0: they look without sleeping. A nil
// fn stops the reports. It is how the chapter's program shows that the
// reactor sleeps in the kernel instead of spinning.
func (r *Reactor) OnWait(fn func(Wait)) {
	if fn == nil {
		r.onWait.Store(nil)
		return
	}
	r.onWait.Store(&fn)
}

// ANCHOR: use-netpoller

// UseNetpoller makes every turn that may sleep, from the next one on,
// sleep in Go's own netpoller instead of in the kernel: the turn asks
// epoll_wait (or kevent) for events without waiting, and if there are
// none it parks its goroutine until Go's netpoller reports the poller's
// descriptor readable, or the turn's timeout passes, and asks again.
//
// The difference is who is asleep. In the kernel, the thread is, and
// Go counts it as a goroutine in a system call that still holds its P
// (its right to run Go code): the runtime takes the P back only after a
// sysmon tick (retake in runtime/proc.go), and the thread must get one
// again when the wait returns. In the netpoller only the goroutine is
// asleep; its thread runs other goroutines, and whichever thread runs
// the netpoller next finds the reactor's descriptor ready, with no
// thread woken for it. It costs a few more system calls per sleep.
//
// It may be called at any time, from any goroutine, more than once.
// It fails only if Go's netpoller refuses the descriptor, or the
// Reactor is closed; the Reactor then goes on sleeping in the kernel.
func (r *Reactor) UseNetpoller() error {
	r.kernelMu.Lock()
	defer r.kernelMu.Unlock()
	if r.closed.Load() {
		return ErrClosed
	}
	return r.p.useNetpoller()
}

// ANCHOR_END: use-netpoller

// ANCHOR: park

// Park is one turn of the reactor, the kind that may sleep. Unless an
// Unpark is already waiting to be consumed, it waits in epoll_wait (or
// kevent) until a registered descriptor becomes ready, the earliest timer
// expires, or Unpark is called; then it wakes every waker that was waiting
// for what happened. Park returns after at most one wait, and may return
// having woken nobody; the executor's loop polls and parks again.
//
// Park implements executor.Parker. Calls from two goroutines at once are
// serialised. On a closed Reactor there is no kernel to wait in: Park
// waits for Unpark instead, so that an executor with a task still pending
// sleeps rather than spins.
func (r *Reactor) Park() {
	r.parkMu.Lock()
	defer r.parkMu.Unlock()
	r.wakers = wakeAll(r.park(r.wakers[:0]))
	// The wakers unparked us (the executor does that when it queues a
	// task); we are returning anyway, so that token is spent, and the
	// next Park may sleep.
	r.token.Store(false)
}

// park is Park's turn without the wake-ups: it appends the wakers to
// wakers and returns them. Only the turns that may sleep call it, under
// parkMu.
func (r *Reactor) park(wakers []future.Waker) []future.Waker {
	r.sleeping.Store(true)
	if r.token.Swap(false) {
		// Unparked before we could sleep: don't wait, but do not let
		// the timers go stale either.
		r.sleeping.Store(false)
		return r.dispatch(nil, nil, wakers)
	}
	return r.turn(true, wakers)
}

// ANCHOR_END: park

// ANCHOR: trypark

// TryPark is a turn of the reactor that never sleeps: it asks the kernel
// what is ready now (a wait with a timeout of zero), expires the timers
// that are due, and wakes their wakers. It leaves Unpark's token alone.
// The executor calls it every so often while it has tasks to run (see
// executor.TryParker), so that a task that keeps waking itself cannot
// starve I/O and timers.
func (r *Reactor) TryPark() {
	r.parkMu.Lock()
	defer r.parkMu.Unlock()
	r.wakers = wakeAll(r.turn(false, r.wakers[:0]))
}

// ANCHOR_END: trypark

// ANCHOR: turn

// turn makes one wait in the kernel and dispatches what it returns,
// appending the wakers to wake to wakers. If block is set, the wait lasts
// until the earliest timer (or for ever, if there is none); if not, it
// does not wait at all. A signal that interrupts the wait makes turn wait
// again, with a fresh timeout. Only the turns call it, under parkMu.
func (r *Reactor) turn(block bool, wakers []future.Waker) []future.Waker {
	for {
		timeout, closed := r.timeout(block)
		if closed {
			r.parkClosed(block)
			return wakers
		}
		n, err := r.p.wait(r.events, timeout)
		if err == errInterrupted {
			continue // a signal; the deadline may have moved, so recompute
		}
		r.sleeping.Store(false)
		if err != nil {
			// Only a bug can get here (a closed or invalid epoll
			// descriptor): Go's own netpoll throws in the same place.
			panic(fmt.Sprintf("reactor: %v", err))
		}
		if r.afterWait != nil {
			r.afterWait()
		}
		w := Wait{Timeout: timeout, Events: n}
		for _, ev := range r.events[:n] {
			w.Woken = w.Woken || ev.wake
		}
		return r.dispatch(r.events[:n], &w, wakers)
	}
}

// ANCHOR_END: turn

// ANCHOR: turn-timeout

// timeout is how long a turn may wait: no time at all unless block is
// set, else until the earliest timer (timers.timeout). It also reports
// whether the Reactor is closed, which Close decides under parkMu, so the
// answer holds for the whole turn.
func (r *Reactor) timeout(block bool) (_ time.Duration, closed bool) {
	if r.closed.Load() {
		return 0, true
	}
	if !block {
		return 0, false
	}
	return r.timers.timeout(time.Now()), false
}

// ANCHOR_END: turn-timeout

// ANCHOR: park-closed

// parkClosed is a turn on a closed Reactor. With no kernel to wait in, a
// blocking turn waits on a channel that Unpark signals once the Reactor is
// closed: the same token protocol, with the channel in the kernel's place.
func (r *Reactor) parkClosed(block bool) {
	if block {
		<-r.closedWake
	}
	r.sleeping.Store(false)
}

// ANCHOR_END: park-closed

// ANCHOR: dispatch

// dispatch records the readiness in evs, expires the timers whose
// deadlines have passed, reports the wait w (if any) to the OnWait hook,
// and appends to wakers the wakers of what is now ready, in this order:
// descriptors first, then timers by deadline. It wakes nobody: the caller
// does, outside every lock (Park and TryPark with wakeAll).
func (r *Reactor) dispatch(
	evs []event, w *Wait, wakers []future.Waker,
) []future.Waker {
	if len(evs) > 0 {
		r.regsMu.Lock()
		for _, ev := range evs {
			if ev.wake {
				continue
			}
			// A descriptor deregistered since the kernel reported it
			// is closed, or gone from the table. If its number was
			// reused by a new registration, the tag tells them apart.
			if g := r.lookup(ev.fd); g != nil && ev.owner(g) {
				wakers = g.setReady(ev, wakers)
			}
		}
		r.regsMu.Unlock()
	}
	wakers = r.timers.expire(time.Now(), wakers)

	if hook := r.onWait.Load(); w != nil && hook != nil {
		(*hook)(*w)
	}
	return wakers
}

// ANCHOR_END: dispatch

// ANCHOR: wakeall

// wakeAll calls every waker in wakers, outside any lock, because a waker
// may be anything. A waker that panics does not stop the others: once all
// have been called, wakeAll panics again with the first panic's value, so
// that the bug is not hidden and no other wake-up is lost. It returns
// wakers emptied, to be reused.
func wakeAll(wakers []future.Waker) []future.Waker {
	var first any
	for _, wk := range wakers {
		if v := wakeOne(wk); v != nil && first == nil {
			first = v
		}
	}
	clear(wakers) // hold on to the buffer, not to the wakers
	if first != nil {
		panic(first)
	}
	return wakers[:0]
}

// wakeOne calls w.Wake and returns what it panicked with, or nil.
func wakeOne(w future.Waker) (panicked any) {
	defer func() { panicked = recover() }()
	w.Wake()
	return nil
}

// ANCHOR_END: wakeall

// ANCHOR: wake

// Unpark makes the next Park return without waiting, or the current one
// return if it is blocked in the kernel. It may be called from any
// goroutine, any number of times: a second Unpark before the Park that
// consumes the first does nothing. It makes a system call only when Park
// is asleep (or about to be) in the kernel.
func (r *Reactor) Unpark() {
	if r.token.Swap(true) {
		return // a wake-up is already on its way
	}
	r.interrupt()
}

// interrupt wakes Park if it is sleeping in the kernel, or has committed
// to, so that its wait returns: through the poller's wake-up, or on a
// closed Reactor through the channel parkClosed waits on. The wake can
// fail only on a closed poller; one already signalled is no error.
func (r *Reactor) interrupt() {
	if !r.sleeping.Load() {
		return // Park will look at the token, or at the timers, first
	}
	if r.kernel(poller.wake) == ErrClosed {
		select {
		case r.closedWake <- struct{}{}:
		default: // already signalled; one is enough
		}
	}
}

// ANCHOR_END: wake

// ANCHOR: register

// ANCHOR: registration

// A Registration is one descriptor registered with a Reactor. Its futures,
// Readable and Writable, are done when the descriptor is ready in that
// direction. At most one Readable and one Writable may be pending at a
// time, because an edge is consumed by the one future it makes done: a
// second reader woken by the same edge would find EAGAIN and wait for an
// edge that never comes. Polling a second Readable (or Writable) while
// another is pending panics, rather than leave the first waiting for
// ever; cancel the first (future.Cancel) to hand the direction over.
type Registration struct {
	r   *Reactor
	fd  int
	gen uint32 // the tag of fd's events in the kernel

	// mu guards the rest: the Registration's own lock, so that futures
	// on different descriptors never wait for each other.
	mu      sync.Mutex
	ready   [2]bool         // an edge arrived that no future has consumed
	closed  bool            // deregistered, or the reactor closed
	readEOF bool            // the kernel said the peer closed its writing side
	waiter  [2]*readiness   // the pending future of each direction
	waker   [2]future.Waker // and the waker it was last polled with
}

// ANCHOR_END: registration

// ANCHOR: register-fn

// Register adds fd to the reactor, for reading and writing,
// edge-triggered. fd must already be in non-blocking mode (see
// unix.SetNonblock): Register does not change its flags, because the flag
// belongs to the open file description, which other processes may share.
//
// A regular file gets ErrRegularFile. The caller must call Deregister
// before closing fd.
func (r *Reactor) Register(fd int) (*Registration, error) {
	g := new(Registration)
	if err := r.register(g, fd); err != nil {
		return nil, err
	}
	return g, nil
}

// register is Register, with the Registration in g, which is zero.
func (r *Reactor) register(g *Registration, fd int) error {
	regular, err := isRegular(fd)
	if err != nil {
		return fmt.Errorf("reactor: register fd %d: %w", fd, err)
	}
	if regular {
		return ErrRegularFile
	}
	// Into the table first, so that the first event finds it there.
	if err := r.remember(g, fd); err != nil {
		return err
	}
	err = r.kernel(func(p poller) error { return p.add(fd, g.gen) })
	if err != nil {
		r.forget(g)
		if err == ErrClosed {
			return err
		}
		return fmt.Errorf("reactor: register fd %d: %w", fd, err)
	}
	return nil
}

// ANCHOR_END: register-fn

// ANCHOR: register-in

// RegisterIn is Register with the Registration in memory the caller
// owns: g, a zero Registration, typically a field of a larger struct
// that lives as long as the descriptor is registered, so that registering
// allocates nothing. g must not be copied or reused once registered,
// not even after Deregister: its futures and the reactor's table point
// to it.
func (r *Reactor) RegisterIn(g *Registration, fd int) error {
	if g.r != nil {
		return fmt.Errorf("reactor: register fd %d: Registration in use", fd)
	}
	return r.register(g, fd)
}

// ANCHOR_END: register-in

// Reactor returns the Reactor that g was registered with, or nil if g
// never was.
func (g *Registration) Reactor() *Reactor { return g.r }

// ANCHOR: remember

// remember makes g fd's Registration, with a tag that no other
// Registration has had (the reactor counts them), and puts it in the
// table at index fd, growing the table if fd is past its end.
func (r *Reactor) remember(g *Registration, fd int) error {
	r.regsMu.Lock()
	defer r.regsMu.Unlock()
	if r.lookup(fd) != nil {
		return fmt.Errorf("reactor: register fd %d: already registered", fd)
	}
	r.gen++
	if r.gen == 0 {
		r.gen++ // 0 means untagged; after 1<<32 registrations
	}
	g.r, g.fd, g.gen = r, fd, r.gen
	if fd >= cap(r.regs) { // a new array, twice as large or more
		t := make([]*Registration, fd+1, max(2*cap(r.regs), fd+1))
		copy(t, r.regs)
		r.regs = t
	}
	if fd >= len(r.regs) {
		r.regs = r.regs[:fd+1] // past the end are only nils (see forget)
	}
	r.regs[fd] = g
	return nil
}

// lookup returns fd's Registration, or nil. The caller holds regsMu.
func (r *Reactor) lookup(fd int) *Registration {
	if fd < 0 || fd >= len(r.regs) {
		return nil
	}
	return r.regs[fd]
}

// ANCHOR_END: remember

// ANCHOR: deregister

// Deregister removes the descriptor from the reactor; do it before closing
// the descriptor, so that the kernel is never asked about a closed (or
// reused) descriptor number. Pending Readable and Writable futures are
// woken and finish with ErrClosed. Calling it again, or after the Reactor
// is closed, does nothing and returns nil.
func (g *Registration) Deregister() error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	wakers := g.closeLocked(nil) // from now on, events for g are ignored
	g.mu.Unlock()

	// Out of the kernel, then out of the table, so that the number can be
	// registered again as soon as Deregister returns.
	r := g.r
	err := r.kernel(func(p poller) error { return p.del(g.fd) })
	if err == ErrClosed {
		err = nil // Close has closed the poller, and g with it
	}
	r.forget(g)

	wakeAll(wakers)
	if err != nil {
		return fmt.Errorf("reactor: deregister fd %d: %w", g.fd, err)
	}
	return nil
}

// ANCHOR_END: deregister

// forget takes g out of the table, if it is still there, and trims the
// nils off the table's end: its length stays one past the highest
// descriptor registered, so that it is zero when nothing is.
func (r *Reactor) forget(g *Registration) {
	r.regsMu.Lock()
	if r.lookup(g.fd) == g {
		r.regs[g.fd] = nil
		n := len(r.regs)
		for n > 0 && r.regs[n-1] == nil {
			n--
		}
		r.regs = r.regs[:n]
	}
	r.regsMu.Unlock()
}

// ANCHOR_END: register

// owner reports whether ev, an event for g's descriptor number, is
// g's: whether the kernel fetched it after g was registered, and not
// for a file that had the number before. The tag tells, where the
// poller has one.
func (ev event) owner(g *Registration) bool {
	return ev.gen == 0 || ev.gen == g.gen
}

// direction indexes a Registration's per-direction state.
type direction int

const (
	read direction = iota
	write
)

// String returns the name of the future that waits in direction d.
func (d direction) String() string { return [...]string{"Readable", "Writable"}[d] }

// setReady records readiness and collects the wakers of the futures waiting
// for it. A closed Registration ignores it.
func (g *Registration) setReady(ev event, wakers []future.Waker) []future.Waker {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return wakers
	}
	g.readEOF = g.readEOF || ev.eof
	for d, ok := range [2]bool{ev.read, ev.write} {
		if !ok {
			continue
		}
		g.ready[d] = true
		if g.waker[d] != nil {
			wakers = append(wakers, g.waker[d])
			g.waker[d] = nil
		}
	}
	return wakers
}

// closeLocked marks g closed and collects the wakers of its pending
// futures. The caller holds g.mu.
func (g *Registration) closeLocked(wakers []future.Waker) []future.Waker {
	g.closed = true
	for d := range g.waker {
		if g.waker[d] != nil {
			wakers = append(wakers, g.waker[d])
		}
		g.waker[d], g.waiter[d] = nil, nil
	}
	return wakers
}

// ANCHOR: readable

// ANCHOR: readable-new

// Readable returns a future that is done with nil when the descriptor is
// readable: data has arrived, the writer has closed its end (the read will
// return 0, end of file), or the descriptor is in error (the read will
// say which). If an edge arrived since the last Readable was done, it is
// done on its first poll. Once the Registration is deregistered, or the
// Reactor closed, it is done with ErrClosed.
//
// After it is done, read until EAGAIN before awaiting Readable again (see
// the package comment). The future implements future.Canceler.
func (g *Registration) Readable() future.Future[error] {
	return &readiness{g: g, dir: read}
}

// Writable is Readable's twin for writing: done when the descriptor can
// take more data (or is in error, or the reader has gone: the write will
// say EPIPE).
func (g *Registration) Writable() future.Future[error] {
	return &readiness{g: g, dir: write}
}

// readiness is the future of Readable and Writable.
type readiness struct {
	g    *Registration
	dir  direction
	done bool
}

// ANCHOR_END: readable-new

// PollReadable is Readable without a future, for a caller that waits on
// the same descriptor again and again (a connection does, once per
// message) and would otherwise allocate a future for every wait: Done
// with nil when the descriptor is readable (or with ErrClosed), else
// Pending, with cx's waker kept until it is. The rules are Readable's:
// read until EAGAIN before waiting again, and one waiter per direction, a
// PollReadable and a Readable future counting alike. There is nothing to
// cancel: a caller that stops polling leaves at most a spurious wake-up,
// and Deregister forgets the waker.
func (g *Registration) PollReadable(cx *future.Context) future.Poll[error] {
	return g.pollReady(cx, read)
}

// PollWritable is PollReadable's twin for writing.
func (g *Registration) PollWritable(cx *future.Context) future.Poll[error] {
	return g.pollReady(cx, write)
}

// polling is the waiter a Registration records for PollReadable and
// PollWritable: one per direction, shared by every Registration, since a
// caller without a future has no identity of its own to record.
var polling [2]readiness

func (g *Registration) pollReady(cx *future.Context, d direction) future.Poll[error] {
	g.mu.Lock()
	defer g.mu.Unlock()
	w := &polling[d]
	switch {
	case g.waiter[d] != nil && g.waiter[d] != w:
		panic(fmt.Sprintf("reactor: fd %d: Poll%v while a %v future is pending", g.fd, [...]string{"Readable", "Writable"}[d], d))
	case g.closed:
		return future.Done(ErrClosed)
	case g.ready[d]:
		g.ready[d] = false
		g.waiter[d], g.waker[d] = nil, nil
		return future.Done[error](nil)
	}
	g.waiter[d], g.waker[d] = w, cx.Waker()
	return future.Pending[error]()
}

// ReadClosed reports whether the kernel has reported that the peer closed
// its writing side (EPOLLRDHUP, or EV_EOF on kqueue), or that the
// descriptor is in error (EPOLLHUP, EPOLLERR, EV_ERROR). From then on no
// read blocks: it returns what is left, then end of file or the error. The
// answer, once true, stays true, as tokio's "read closed" readiness does.
//
// It is no licence to wait after a read that returned fewer bytes than
// asked for: bytes that arrive during that read raise an edge that only
// the next turn dispatches, so a reader that must not stall until then
// reads until EAGAIN.
func (g *Registration) ReadClosed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.readEOF
}

// ANCHOR: readiness-poll

func (f *readiness) Poll(cx *future.Context) future.Poll[error] {
	if f.done {
		panic("reactor: Readable or Writable polled after it was done" +
			" or cancelled")
	}
	g, d := f.g, f.dir
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.waiter[d] != nil && g.waiter[d] != f:
		panic(fmt.Sprintf("reactor: fd %d: a second %v future polled"+
			" while another is pending", g.fd, d))
	case g.closed:
		f.done = true
		return future.Done(ErrClosed)
	case g.ready[d]:
		// Consume the edge: the next Readable waits for a new one,
		// which the kernel sends only after a read has found EAGAIN.
		g.ready[d] = false
		f.done = true
		if g.waiter[d] == f {
			g.waiter[d], g.waker[d] = nil, nil
		}
		return future.Done[error](nil)
	}
	g.waiter[d], g.waker[d] = f, cx.Waker()
	return future.Pending[error]()
}

// ANCHOR_END: readiness-poll

// Cancel forgets the waker, if this future is still the one waiting.
func (f *readiness) Cancel() {
	g, d := f.g, f.dir
	g.mu.Lock()
	defer g.mu.Unlock()
	f.done = true
	if g.waiter[d] == f {
		g.waiter[d], g.waker[d] = nil, nil
	}
}

// ANCHOR_END: readable
