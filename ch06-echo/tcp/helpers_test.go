package tcp_test

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"github.com/asyncbook/asyncbook/ch03-executor/executor"
	"github.com/asyncbook/asyncbook/ch04-reactor/reactortest"
	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"github.com/asyncbook/asyncbook/ch05-workstealing/schedtest"
	"github.com/asyncbook/asyncbook/ch06-echo/tcp"
)

// TestMain runs the child half of a test that needs a process of its own
// (see TestAcceptEMFILE) when the parent started this binary for it, and
// the tests otherwise.
func TestMain(m *testing.M) {
	if code, ok := runChild(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

var seedFlag = flag.Uint64("tcp.seed", 0, "seed of the tests' random chunk sizes (0: a new one each run)")

// stallLimit is how long a watchdog lets a test make no progress.
const stallLimit = reactortest.StallLimit

// testSeed returns the seed of t's random numbers, and prints it if t
// fails, so that the failing run can be repeated with -tcp.seed.
func testSeed(t testing.TB) uint64 { return reactortest.Seed(t, *seedFlag, "tcp.seed") }

// newRT returns a runtime of n workers that is shut down when t ends.
func newRT(t testing.TB, n int) *sched.Runtime {
	t.Helper()
	return schedtest.New(t, n, sched.New)
}

// polls is the total of rt's poll counts: a measure of progress for the
// watchdogs while its tasks run.
func polls(rt *sched.Runtime) func() int64 {
	return func() int64 {
		var n uint64
		for _, p := range rt.Stats().Polls {
			n += p
		}
		return int64(n)
	}
}

// plus adds up measures of progress.
func plus(fs ...func() int64) func() int64 {
	return func() int64 {
		var n int64
		for _, f := range fs {
			n += f()
		}
		return n
	}
}

// recv receives one value from ch, failing the test if progress stands
// still for stallLimit first.
func recv[T any](t testing.TB, ch <-chan T, progress func() int64, what string) T {
	t.Helper()
	last := int64(-1)
	if progress != nil {
		last = progress()
	}
	tick := time.NewTicker(stallLimit)
	defer tick.Stop()
	for {
		select {
		case v := <-ch:
			return v
		case <-tick.C:
			if progress == nil {
				t.Fatalf("no progress for %v: %s", stallLimit, what)
			}
			now := progress()
			if now == last {
				t.Fatalf("no progress for %v: %s", stallLimit, what)
			}
			last = now
		}
	}
}

// join waits, under a watchdog, for the task behind h and returns its
// result. It awaits h, so nothing else may.
func join[T any](t testing.TB, rt *sched.Runtime, h *sched.JoinHandle[T], what string) (T, error) {
	t.Helper()
	done := make(chan future.Result[T], 1)
	go func() { done <- executor.BlockOn[future.Result[T]](h) }()
	return recv(t, done, polls(rt), what).Get()
}

// pattern is byte i of stream id. It is a hash of both, so a byte that
// is lost, repeated, moved or delivered to the wrong connection shows.
func pattern(id uint64, i int) byte {
	x := uint64(i) + id*0x9E3779B97F4A7C15
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	x ^= x >> 31
	return byte(x)
}

// fill writes bytes off.. of stream id into p.
func fill(id uint64, off int, p []byte) {
	for k := range p {
		p[k] = pattern(id, off+k)
	}
}

// check compares p with bytes off.. of stream id.
func check(id uint64, off int, p []byte) error {
	for k, b := range p {
		if want := pattern(id, off+k); b != want {
			return fmt.Errorf("stream %d: byte %d is %#02x, want %#02x", id, off+k, b, want)
		}
	}
	return nil
}

// chunk is a random size from 1 to limit (at least 1), spread evenly
// over the powers of two up to 64 KiB, so that 1-byte and 64 KiB writes
// and reads both happen often.
func chunk(rng *rand.Rand, limit int) int {
	return min(1+rng.IntN(1<<rng.IntN(17)), max(limit, 1))
}

// rngFor returns the random numbers of one side of one stream.
func rngFor(seed, id uint64, side uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, id<<1|side))
}

// netClient is a client written with package net, for an ordinary
// goroutine: it dials addr, sends size bytes of stream id in random
// chunks while it reads the echo with random reads (on two goroutines,
// so that neither waits for the other), half-closes, and checks that the
// echo is byte-exact and ends with end of file. got counts the bytes read.
func netClient(addr string, seed, id uint64, size int, got *atomic.Int64) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	werr := make(chan error, 1)
	go func() {
		rng := rngFor(seed, id, 0)
		buf := make([]byte, min(64<<10, max(size, 1)))
		for off := 0; off < size; {
			p := buf[:chunk(rng, size-off)]
			fill(id, off, p)
			if _, err := c.Write(p); err != nil {
				werr <- err
				return
			}
			off += len(p)
		}
		werr <- c.(*net.TCPConn).CloseWrite()
	}()
	rng := rngFor(seed, id, 1)
	buf := make([]byte, min(64<<10, max(size, 1)))
	off := 0
	for {
		n, err := c.Read(buf[:chunk(rng, len(buf))])
		if cerr := check(id, off, buf[:n]); cerr != nil {
			return cerr
		}
		off += n
		got.Add(int64(n))
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("stream %d: read after %d of %d bytes: %w", id, off, size, err)
		}
	}
	if off != size {
		return fmt.Errorf("stream %d: end of file after %d bytes, want %d", id, off, size)
	}
	return <-werr
}

// streamClient is netClient as a future, for a task of the runtime: it
// writes and reads in one loop, with PollWrite and PollRead, so that a
// write that cannot go on does not hold up the reads.
type streamClient struct {
	c          *tcp.Conn
	id         uint64
	size       int
	wrng, rrng *rand.Rand
	wbuf, rbuf []byte
	sent, got  int
	shut       bool
	count      *atomic.Int64
}

// dialStream returns a future that dials addr on r and runs a
// streamClient over the connection.
func dialStream(rt *sched.Runtime, addr string, seed, id uint64, size int, count *atomic.Int64) future.Future[error] {
	return future.Then(tcp.Dial(rt.Reactor(), addr), func(r future.Result[*tcp.Conn]) future.Future[error] {
		if r.Err != nil {
			return future.Ready(r.Err)
		}
		return &streamClient{
			c: r.Value, id: id, size: size,
			wrng: rngFor(seed, id, 0), rrng: rngFor(seed, id, 1),
			wbuf: make([]byte, 64<<10), rbuf: make([]byte, 64<<10),
			count: count,
		}
	})
}

func (s *streamClient) Poll(cx *future.Context) future.Poll[error] {
	for {
		progress := false
		if s.sent < s.size {
			p := s.wbuf[:chunk(s.wrng, s.size-s.sent)]
			fill(s.id, s.sent, p)
			if r, ok := s.c.PollWrite(cx, p).Value(); ok {
				if r.Err != nil {
					return s.end(r.Err)
				}
				s.sent += r.Value
				progress = true
			}
		} else if !s.shut {
			if err := s.c.CloseWrite(); err != nil {
				return s.end(err)
			}
			s.shut = true
			progress = true
		}
		p := s.rbuf[:chunk(s.rrng, len(s.rbuf))]
		if r, ok := s.c.PollRead(cx, p).Value(); ok {
			switch {
			case errors.Is(r.Err, io.EOF):
				if s.got != s.size || !s.shut {
					return s.end(fmt.Errorf("stream %d: end of file after %d bytes, want %d", s.id, s.got, s.size))
				}
				return s.end(nil)
			case r.Err != nil:
				return s.end(r.Err)
			}
			if err := check(s.id, s.got, p[:r.Value]); err != nil {
				return s.end(err)
			}
			s.got += r.Value
			s.count.Add(int64(r.Value))
			progress = true
		}
		if !progress {
			return future.Pending[error]()
		}
	}
}

func (s *streamClient) end(err error) future.Poll[error] {
	if cerr := s.c.Close(); err == nil {
		err = cerr
	}
	return future.Done(err)
}

// Cancel closes the connection.
func (s *streamClient) Cancel() { s.c.Close() }

// server is an accept loop on a runtime: a task that accepts
// connections and spawns a task for each, which runs handle (tcp.Echo,
// unless the test says otherwise) and sends its result to results.
type server struct {
	addr    string
	results chan future.Result[int64]
	task    *sched.JoinHandle[error]
}

// serve listens on 127.0.0.1 on an ephemeral port and starts the accept
// loop, which ends with the listener closed after max connections (0:
// when the runtime shuts down). handle nil means tcp.Echo.
func serve(t testing.TB, rt *sched.Runtime, max int, handle func(*tcp.Conn) future.Future[future.Result[int64]]) *server {
	t.Helper()
	l, err := tcp.Listen(rt.Reactor(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if handle == nil {
		handle = tcp.Echo
	}
	capacity := max
	if capacity == 0 {
		capacity = 1024
	}
	s := &server{addr: l.Addr().String(), results: make(chan future.Result[int64], capacity)}
	s.task = sched.Spawn[error](rt, &acceptLoop{l: l, max: max, handle: handle, results: s.results})
	return s
}

// acceptLoop is the future of a server's task.
type acceptLoop struct {
	l       *tcp.Listener
	max, n  int
	accept  future.Future[future.Result[*tcp.Conn]]
	handle  func(*tcp.Conn) future.Future[future.Result[int64]]
	results chan<- future.Result[int64]
}

func (a *acceptLoop) Poll(cx *future.Context) future.Poll[error] {
	for a.max == 0 || a.n < a.max {
		if a.accept == nil {
			a.accept = a.l.Accept()
		}
		r, ok := a.accept.Poll(cx).Value()
		if !ok {
			return future.Pending[error]()
		}
		a.accept = nil
		if r.Err != nil {
			a.l.Close()
			return future.Done(r.Err)
		}
		a.n++
		results := a.results
		sched.SpawnFrom(cx, future.Map(a.handle(r.Value), func(r future.Result[int64]) future.Result[int64] {
			results <- r
			return r
		}))
	}
	return future.Done(a.l.Close())
}

// Cancel stops accepting and closes the listener.
func (a *acceptLoop) Cancel() {
	future.Cancel(a.accept)
	a.accept = nil
	a.l.Close()
}

// The leak checks are reactortest's.
var (
	openFDs        = reactortest.OpenFDs
	fdsBack        = reactortest.FDsBack
	goroutinesBack = reactortest.GoroutinesBack
)

// TestSuiteInNetpoller runs the package's tests again with every
// runtime's reactor sleeping in Go's netpoller.
func TestSuiteInNetpoller(t *testing.T) { reactortest.SuiteInNetpoller(t) }
