package main

// The load generator. It runs on the book's own runtime, like the server:
// each of its -conns connections is one task, a state machine that writes
// a message, reads until the whole echo is back, checks every byte, and
// records the round trip's latency in a histogram of its own. No goroutine
// per connection, and no counter that every task writes: the main
// goroutine only starts the tasks, flips a phase flag that they read, and
// merges their histograms at the end.
//
// A run is: connect (at most dialWindow connects in flight at a time),
// warm up, measure for -d, then abort every task, which closes its
// connection, and shut the runtime down. With -pid it also reads the
// server's CPU time from /proc at both ends of the measured window, and
// its own from getrusage, to print the CPU each side spends per round
// trip. With -hold each connection sends one message and checks its echo,
// so that the server has done for it whatever it does for a connection in
// use (taken a buffer, touched a stack), and is then held open, idle, while
// the server's memory and descriptors are read.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/cli"
	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// loadConfig is what the load generator is told to do.
type loadConfig struct {
	addr         string           // the server (from -addr)
	workers      int              // the runtime's workers (from -workers)
	conns        int              // connections, each a task
	size         int              // bytes per message
	dur          time.Duration    // how long to measure (with hold: to hold)
	warmup       optDuration      // how long to run before measuring; unset: dur/10
	pid          int              // the server's process, to measure (0: none)
	hold         bool             // after one round trip, hold the connections idle
	hist         bool             // print the latency histogram's buckets too
	showProgress bool             // write progress to stderr (see progress)
	stop         <-chan os.Signal // a signal here ends the run early; nil: none

	settleMax time.Duration // with hold: the longest wait for the server to settle; 0: settleMax
}

// Limits on the flags, so that a typo fails at once instead of eating the
// machine's memory.
const (
	maxConns   = 1_000_000
	maxSize    = 16 << 20
	maxBuffers = 1 << 30 // conns × size × 2 (a message and its echo)
	maxDur     = 24 * time.Hour
)

const (
	// dialWindow is how many connects are in flight at once: enough to
	// open ten thousand connections in a moment, few enough that the
	// server's accept backlog never overflows (a dropped SYN is retried
	// only after a second).
	dialWindow = 256
	// dialTimeout bounds each connect.
	dialTimeout = 10 * time.Second
	// settleEvery and settleMax pace the reading of the server's memory
	// in -hold mode: read until it stands still, or give up.
	settleEvery = 100 * time.Millisecond
	settleMax   = 10 * time.Second
)

// addLoadFlags defines the load generator's flags on fs.
func addLoadFlags(fs *flag.FlagSet) *loadConfig {
	lc := &loadConfig{}
	fs.IntVar(&lc.conns, "conns", 100, "with -load: connections")
	fs.IntVar(&lc.size, "size", 64, "with -load: bytes per message")
	fs.DurationVar(&lc.dur, "d", 5*time.Second, "with -load: how long to measure (with -hold: to hold)")
	fs.Var(&lc.warmup, "warmup", "with -load: how long to run before measuring (default: a tenth of -d)")
	fs.IntVar(&lc.pid, "pid", 0, "with -load: the server's process ID, to measure its CPU (Linux)")
	fs.BoolVar(&lc.hold, "hold", false, "with -load: after one round trip, hold the connections idle, and with -pid\nmeasure the server's memory and descriptors per connection")
	fs.BoolVar(&lc.hist, "hist", false, "with -load: print the latency histogram's buckets after the report")
	fs.BoolVar(&lc.showProgress, "progress", false, "with -load: write what the run is doing to stderr, once a second")
	return lc
}

// optDuration is a duration flag that knows whether it was given, so that
// its default can depend on another flag.
type optDuration struct {
	d   time.Duration
	set bool
}

func (o *optDuration) String() string {
	if !o.set {
		return ""
	}
	return o.d.String()
}

func (o *optDuration) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("want a duration such as 500ms")
	}
	o.d, o.set = d, true
	return nil
}

// check reports the first flag that is out of range.
func (lc *loadConfig) check() error {
	switch {
	case lc.conns < 1 || lc.conns > maxConns:
		return fmt.Errorf("-conns %d: want 1 to %d", lc.conns, maxConns)
	case lc.size < 1 || lc.size > maxSize:
		return fmt.Errorf("-size %d: want 1 to %d bytes", lc.size, maxSize)
	case int64(lc.conns)*int64(lc.size)*2 > maxBuffers:
		return fmt.Errorf("-conns %d -size %d: the buffers would take more than %d MiB",
			lc.conns, lc.size, maxBuffers>>20)
	case lc.dur <= 0 || lc.dur > maxDur:
		return fmt.Errorf("-d %v: want more than 0 and at most %v", lc.dur, maxDur)
	case lc.warmup.set && (lc.warmup.d < 0 || lc.warmup.d > maxDur):
		return fmt.Errorf("-warmup %v: want 0 to %v", lc.warmup.d, maxDur)
	case lc.pid < 0:
		return fmt.Errorf("-pid %d: want a process ID", lc.pid)
	case lc.workers < 0:
		return fmt.Errorf("-workers %d: want 0 (GOMAXPROCS) or more", lc.workers)
	}
	if _, err := tcp.ParseAddr(lc.addr); err != nil {
		return fmt.Errorf("-addr %s: %v", lc.addr, err)
	}
	return nil
}

// warmupDur is the warm-up: -warmup, or a tenth of -d.
func (lc *loadConfig) warmupDur() time.Duration {
	if lc.warmup.set {
		return lc.warmup.d
	}
	return lc.dur / 10
}

// runLoad runs the load generator: it prints its report on stdout, and
// returns an error if the run could not be made or went wrong (a
// connection that failed mid-run, an echo that did not match).
func runLoad(lc *loadConfig, stdout, stderr io.Writer) error {
	res, err := generate(lc, stderr)
	if res != nil {
		out := bufio.NewWriter(stdout)
		res.print(out)
		if ferr := out.Flush(); ferr != nil && err == nil {
			err = ferr
		}
	}
	if err == nil && res != nil {
		err = res.failure()
	}
	if err == nil && res != nil && res.interrupted != nil {
		err = fmt.Errorf("interrupted (%v): the report covers the %.2fs before it",
			res.interrupted, res.window.Seconds())
	}
	return err
}

// Phases of a run, which every client reads to know whether to record.
const (
	warmingUp int32 = iota
	measuring
	stopped
)

// loadGen is one run of the load generator, shared by its tasks.
type loadGen struct {
	rt     *sched.Runtime
	lc     *loadConfig
	phase  atomic.Int32
	dialed chan error   // one send per client, when its connect is over
	nDials atomic.Int64 // connects over so far, for progress
	p      *progress

	live    atomic.Int64 // clients not finished, plus one for the starter
	allDone chan struct{}

	clients []*loadClient
	handles []*sched.JoinHandle[struct{}]

	interrupted os.Signal // the signal that ended the run early, or nil
}

// generate makes the run that lc describes and returns its results. A
// nil result means there is nothing to report (bad flags, no connection).
func generate(lc *loadConfig, stderr io.Writer) (res *loadResult, err error) {
	if err := lc.check(); err != nil {
		return nil, err
	}
	res = &loadResult{lc: lc}
	if lc.pid != 0 { // fail now if the process cannot be read
		if lc.hold {
			res.rss0, res.fds0, _, err = settle(nil, lc.pid, -1)
		} else {
			_, err = readProcCPU(lc.pid)
		}
		if err != nil {
			return nil, err
		}
	}
	rt, err := sched.New(lc.workers)
	if err != nil {
		return nil, err
	}
	defer func() {
		if serr := rt.Shutdown(); serr != nil && err == nil {
			err = serr
		}
	}()
	res.workers = rt.Workers()
	g := &loadGen{rt: rt, lc: lc, dialed: make(chan error, lc.conns), allDone: make(chan struct{})}
	g.live.Store(1)
	g.p = newProgress(stderr, lc.showProgress)
	defer g.p.stop()

	var dialErr error
	g.p.phase(func() string { return fmt.Sprintf("dialled %d of %d", g.nDials.Load(), lc.conns) },
		"dialling %d connections to %s", lc.conns, lc.addr)
	res.made, res.failed, dialErr = g.dialAll()
	if res.made == 0 {
		<-g.allDone
		return nil, fmt.Errorf("%v (none of %d connections could be made)", dialErr, lc.conns)
	}
	if res.failed > 0 {
		g.p.note("%d of %d connections failed, the first with: %s",
			res.failed, lc.conns, cli.Escape(dialErr.Error()))
	}
	g.p.phase(nil, "dialled %d of %d", res.made+res.failed, lc.conns)
	if lc.hold {
		err = g.holdIdle(res)
	} else {
		err = g.measure(res)
	}
	g.p.phase(nil, "stopping %d connections", res.made)
	g.stopAll()
	res.collect(g.clients)
	res.interrupted = g.interrupted
	return res, err
}

// dialAll starts a client task per connection, at most dialWindow of them
// connecting at a time, and waits until every connect is over. It returns
// how many succeeded and failed, and the first error.
func (g *loadGen) dialAll() (made, failed int, first error) {
	n := g.lc.conns
	g.clients = make([]*loadClient, n)
	g.handles = make([]*sched.JoinHandle[struct{}], n)
	for spawned, answered := 0, 0; answered < n; answered++ {
		for ; spawned < n && spawned-answered < dialWindow; spawned++ {
			c := newClient(g, spawned)
			g.clients[spawned] = c
			g.live.Add(1)
			g.handles[spawned] = sched.Spawn(g.rt, future.Future[struct{}](c))
		}
		err := <-g.dialed
		g.nDials.Add(1)
		if err != nil {
			failed++
			if first == nil {
				first = err
			}
		} else {
			made++
		}
	}
	g.exit() // every client is spawned: allDone may close
	return made, failed, first
}

// exit counts one client (or the starter) out; the last closes allDone.
func (g *loadGen) exit() {
	if g.live.Add(-1) == 0 {
		close(g.allDone)
	}
}

// sleep waits for d on the runtime's timers, or until every client has
// finished, or a signal comes (Ctrl-C), and reports whether the whole
// time passed. After a signal it returns false at once.
func (g *loadGen) sleep(d time.Duration) bool {
	if g.interrupted != nil {
		return false
	}
	select {
	case <-afterOn(g.rt, d):
		return true
	case <-g.allDone:
		return false
	case sig := <-g.lc.stop:
		g.interrupted = sig
		return false
	}
}

// afterOn returns a channel that a task of rt closes once d has passed.
func afterOn(rt *sched.Runtime, d time.Duration) <-chan struct{} {
	ch := make(chan struct{})
	t := rt.Sleep(d)
	sched.Spawn(rt, future.Func[struct{}](func(cx *future.Context) future.Poll[struct{}] {
		if !t.Poll(cx).IsDone() {
			return future.Pending[struct{}]()
		}
		close(ch)
		return future.Done(struct{}{})
	}))
	return ch
}

// stopAll aborts every client (its Cancel closes its connection) and
// waits until all have finished.
func (g *loadGen) stopAll() {
	g.phase.Store(stopped)
	for _, h := range g.handles {
		h.Abort()
	}
	<-g.allDone
}

// ANCHOR: measure-window

// measure runs the warm-up and the measured window, reading the CPU
// times at both ends of the window.
func (g *loadGen) measure(res *loadResult) error {
	g.p.phase(ofTotal("warming up", time.Now(), g.lc.warmupDur()),
		"warming up for %v", g.lc.warmupDur())
	if !g.sleep(g.lc.warmupDur()) {
		return nil // every connection failed: the report says how
	}
	c0, err := g.readCPU()
	if err != nil {
		return err
	}
	t0 := time.Now()
	g.p.phase(ofTotal("measuring", t0, g.lc.dur), "measuring for %v", g.lc.dur)
	g.phase.Store(measuring)
	g.sleep(g.lc.dur)
	g.phase.Store(stopped)
	res.window = time.Since(t0)
	c1, err := g.readCPU()
	if err != nil {
		return err
	}
	res.selfCPU = c1.self - c0.self
	if g.lc.pid != 0 {
		res.serverCPU = cpuBetween(c0.server, c1.server)
	}
	return nil
}

// ANCHOR_END: measure-window

// cpuReading is the CPU time used so far by this process and the server.
type cpuReading struct {
	self   int64 // ns
	server procCPU
}

func (g *loadGen) readCPU() (cpuReading, error) {
	var r cpuReading
	var err error
	if g.lc.pid != 0 {
		if r.server, err = readProcCPU(g.lc.pid); err != nil {
			return r, err
		}
	}
	r.self, err = selfCPU()
	return r, err
}

// holdIdle keeps the connections open for -d; with -pid it reads the
// server's memory and descriptors once they have settled.
func (g *loadGen) holdIdle(res *loadResult) error {
	start := time.Now()
	g.p.phase(ofTotal("holding", start, g.lc.dur),
		"holding %d connections for %v", res.made, g.lc.dur)
	if g.lc.pid != 0 {
		var err error
		res.rss1, res.fds1, res.settled, err = settle(g, g.lc.pid, res.fds0+res.made)
		if err != nil {
			return err
		}
		res.memRead = true
	}
	if left := g.lc.dur - time.Since(start); left > 0 {
		g.sleep(left)
	}
	res.window = time.Since(start)
	return nil
}

// settle reads process pid's memory and descriptors every settleEvery
// until neither has changed for two periods and it has at least minFDs
// descriptors, or for settleMax at most (lc.settleMax if set), and
// returns the last reading and whether it had settled. With g nil it
// takes one reading: there is no runtime to sleep on yet.
func settle(g *loadGen, pid, minFDs int) (rss int64, fds int, settled bool, err error) {
	rss, fds, err = readProcMem(pid)
	if err != nil || g == nil {
		return rss, fds, false, err
	}
	limit := settleMax
	if g.lc.settleMax > 0 {
		limit = g.lc.settleMax
	}
	still := 0
	for start := time.Now(); time.Since(start) < limit; {
		if !g.sleep(settleEvery) {
			return rss, fds, false, nil // the server closed every connection
		}
		r, f, err := readProcMem(pid)
		if err != nil {
			return 0, 0, false, err
		}
		if r == rss && f == fds {
			still++
		} else {
			still = 0
		}
		rss, fds = r, f
		if still >= 2 && fds >= minFDs {
			return rss, fds, true, nil
		}
	}
	return rss, fds, false, nil
}

// loadClient is one connection's task: it connects, then either sends
// messages and checks their echoes or holds the connection idle, until
// it fails or is aborted.
type loadClient struct {
	g  *loadGen
	id int

	dial  future.Future[future.Result[*tcp.Conn]] // while connecting
	timer future.Future[struct{}]                 // bounds the connect
	conn  *tcp.Conn

	// The message in flight: msg is what was sent (sent bytes of it so
	// far), got what came back (recvd bytes), one byte longer than msg so
	// that a server that sends too much is caught at once.
	msg, got    []byte
	sent, recvd int
	seq         uint64 // the message's number on this connection
	start       int64  // when it was sent, ns since monoStart

	hist *histogram // round trips in the measured window
	one  [1]byte    // the read buffer of an idle (held) connection

	err  error // why the client stopped, if it failed
	done bool
}

func newClient(g *loadGen, id int) *loadClient {
	c := &loadClient{g: g, id: id}
	c.msg = make([]byte, g.lc.size)
	c.got = make([]byte, g.lc.size+1)
	if !g.lc.hold {
		c.hist = new(histogram)
	}
	return c
}

func (c *loadClient) Poll(cx *future.Context) future.Poll[struct{}] {
	if c.conn == nil {
		if !c.connect(cx) {
			return future.Pending[struct{}]()
		}
		if c.conn == nil {
			return c.finish(nil) // the failure went to dialed
		}
		c.start = monoNow()
		fill(c.msg, c.id, c.seq)
	}
	var wait bool
	var err error
	if c.msg == nil {
		wait, err = c.idle(cx)
	} else {
		wait, err = c.roundTrips(cx)
	}
	if wait {
		return future.Pending[struct{}]()
	}
	return c.finish(err)
}

// connect polls the connect and its timer, and reports whether it is
// over; if it failed, c.conn is still nil. Either way it tells dialed.
func (c *loadClient) connect(cx *future.Context) bool {
	if c.dial == nil {
		c.dial = tcp.Dial(c.g.rt.Reactor(), c.g.lc.addr)
		c.timer = c.g.rt.Sleep(dialTimeout)
	}
	r, ok := c.dial.Poll(cx).Value()
	if !ok {
		if !c.timer.Poll(cx).IsDone() {
			return false
		}
		future.Cancel(c.dial)
		r.Err = fmt.Errorf("dial tcp %s: no answer in %v", c.g.lc.addr, dialTimeout)
	}
	future.Cancel(c.timer)
	c.dial, c.timer = nil, nil
	c.conn = r.Value
	c.g.dialed <- r.Err // never blocks: room for every client
	return true
}

// ANCHOR: round-trips

// roundTrips sends messages and reads their echoes until it must wait
// (wait is true) or a read or write fails. Writing and reading are
// polled in turn, so that a message too big for the socket buffers
// drains while it is being written.
func (c *loadClient) roundTrips(cx *future.Context) (wait bool, err error) {
	for {
		moved := false
		if c.sent < len(c.msg) {
			if r, ok := c.conn.PollWrite(cx, c.msg[c.sent:]).Value(); ok {
				if r.Err != nil {
					return false, r.Err
				}
				c.sent += r.Value
				moved = true
			}
		}
		if r, ok := c.conn.PollRead(cx, c.got[c.recvd:]).Value(); ok {
			if r.Err != nil {
				return false, r.Err
			}
			if err := c.check(r.Value); err != nil {
				return false, err
			}
			moved = true
		}
		if c.recvd == len(c.msg) {
			if c.g.lc.hold { // one round trip, then idle
				c.msg = nil
				return c.idle(cx)
			}
			c.next()
		} else if !moved {
			return true, nil
		}
	}
}

// ANCHOR_END: round-trips

// ANCHOR: check

// check compares the n bytes just read with what was sent at the same
// place; a server that sends more than it was sent, or other bytes, has a
// bug, and the connection's stream cannot be trusted after it.
func (c *loadClient) check(n int) error {
	end := c.recvd + n
	if end > c.sent {
		return &echoError{c.id, c.seq, fmt.Sprintf(
			"%d bytes came back when %d were sent", end, c.sent)}
	}
	got, sent := c.got[c.recvd:end], c.msg[c.recvd:end]
	if !bytes.Equal(got, sent) {
		i := c.recvd
		for got[i-c.recvd] == sent[i-c.recvd] {
			i++
		}
		return &echoError{c.id, c.seq, fmt.Sprintf(
			"byte %d of %d came back as %#02x, not %#02x",
			i, len(c.msg), got[i-c.recvd], sent[i-c.recvd])}
	}
	c.recvd = end
	return nil
}

// next records the round trip just completed, if the run is measuring,
// and starts the next message. One clock reading serves as the end of
// this round trip and the start of the next.
func (c *loadClient) next() {
	t := monoNow()
	if c.g.phase.Load() == measuring {
		c.hist.record(t - c.start)
	}
	c.start = t
	c.seq++
	fill(c.msg, c.id, c.seq)
	c.sent, c.recvd = 0, 0
}

// ANCHOR_END: check

// idle waits on a held connection for what must not come: a byte, end
// of file, a reset.
func (c *loadClient) idle(cx *future.Context) (wait bool, err error) {
	r, ok := c.conn.PollRead(cx, c.one[:]).Value()
	switch {
	case !ok:
		return true, nil
	case r.Err != nil:
		return false, r.Err
	}
	return false, fmt.Errorf("the server sent %d bytes on a connection that sent none", r.Value)
}

// finish ends the client: it closes the connection and keeps err.
func (c *loadClient) finish(err error) future.Poll[struct{}] {
	if errors.Is(err, io.EOF) {
		if c.msg == nil {
			err = fmt.Errorf("the server closed a held connection: %w", err)
		} else {
			err = fmt.Errorf("the server closed the connection after %d round trips: %w", c.seq, err)
		}
	}
	if err != nil {
		err = &clientError{id: c.id, err: err}
	}
	c.err = err
	c.close()
	return future.Done(struct{}{})
}

// Cancel is Abort's way to stop the client, on its own worker: it
// closes the connection, without an error.
func (c *loadClient) Cancel() { c.close() }

func (c *loadClient) close() {
	if c.done {
		return
	}
	c.done = true
	if c.dial != nil {
		future.Cancel(c.dial)
		future.Cancel(c.timer)
		c.dial, c.timer = nil, nil
	}
	if c.conn != nil {
		c.conn.Close()
	}
	c.g.exit()
}

// fill writes message seq of connection id into p: bytes from a
// splitmix64 sequence seeded with both numbers, so that an echo of an
// earlier message, or of another connection's, does not match.
func fill(p []byte, id int, seq uint64) {
	x := uint64(id)<<40 ^ seq
	var w [8]byte
	for len(p) > 0 {
		x += 0x9e3779b97f4a7c15
		z := (x ^ x>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		binary.LittleEndian.PutUint64(w[:], z^z>>31)
		p = p[copy(p, w[:]):]
	}
}

// An echoError is an echo that does not match what was sent.
type echoError struct {
	id   int
	seq  uint64
	what string
}

func (e *echoError) Error() string {
	return fmt.Sprintf("message %d: %s", e.seq, e.what)
}

// A clientError is why connection id stopped.
type clientError struct {
	id  int
	err error
}

func (e *clientError) Error() string { return fmt.Sprintf("connection %d: %v", e.id, e.err) }
func (e *clientError) Unwrap() error { return e.err }

// monoStart is the origin of now: a time with a monotonic reading.
var monoStart = time.Now()

// now is monotonic nanoseconds since monoStart.
func monoNow() int64 { return int64(time.Since(monoStart)) }

// loadResult is what a run measured.
type loadResult struct {
	lc      *loadConfig
	workers int

	made, failed int           // connects that succeeded, failed
	window       time.Duration // the measured (or held) time
	interrupted  os.Signal     // the signal that cut the run short, or nil
	hist         histogram     // merged from the clients'

	selfCPU, serverCPU int64 // ns over the window; serverCPU only with -pid

	// Errors by kind, and the first of them.
	verify, reset, eof, other int
	first                     error

	// With -hold and -pid: the server's RSS and descriptors before the
	// connections were made and after they settled.
	rss0, rss1 int64
	fds0, fds1 int
	memRead    bool
	settled    bool // the second reading stood still
}

// collect merges the clients' histograms and counts their errors, once
// they have all finished.
func (res *loadResult) collect(clients []*loadClient) {
	for _, c := range clients {
		if c.hist != nil {
			res.hist.merge(c.hist)
		}
		if c.err == nil || c.conn == nil {
			continue // no error, or a failed connect, already counted
		}
		var ee *echoError
		switch {
		case errors.As(c.err, &ee):
			res.verify++
		case errors.Is(c.err, syscall.ECONNRESET), errors.Is(c.err, syscall.EPIPE):
			res.reset++
		case errors.Is(c.err, io.EOF):
			res.eof++
		default:
			res.other++
		}
		if res.first == nil {
			res.first = c.err
		}
	}
}

// failure is the run's error, if a connection failed after it was made.
func (res *loadResult) failure() error {
	n := res.verify + res.reset + res.eof + res.other
	if n == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d connections failed; the first: %v", n, res.made, res.first)
}
