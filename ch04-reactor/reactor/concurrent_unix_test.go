//go:build linux || darwin || freebsd || netbsd || openbsd

package reactor

// Tests for a reactor shared by many workers: one goroutine takes the
// turns (as a scheduler's parking worker does), while many others poll,
// register, deregister, sleep and cancel, all at once. Run them under
// -race, and many times: go test -race -count=20 -run Concurrent.

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch02-futures/future"
	"golang.org/x/sys/unix"
)

// chanWaker wakes a goroutine blocked in blockOn.
type chanWaker chan struct{}

func (c chanWaker) Wake() {
	select {
	case c <- struct{}{}:
	default: // a wake-up is already waiting
	}
}

// blockOn polls f on the calling goroutine until it is done, sleeping on
// a channel between polls: a one-task executor for each worker.
func blockOn[T any](f future.Future[T]) T {
	ch := make(chanWaker, 1)
	cx := future.NewContext(ch)
	for {
		if v, ok := f.Poll(cx).Value(); ok {
			return v
		}
		<-ch
	}
}

// turner takes blocking turns of r on its own goroutine, waking what each
// turn hands back, until the test calls the function it returns, which
// waits for the goroutine to end. It counts its turns in *turns.
func turner(t *testing.T, r *Reactor, turns *atomic.Int64) (stop func()) {
	t.Helper()
	var stopping atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ws []future.Waker
		for !stopping.Load() {
			ws = r.Turn(true, ws[:0])
			for _, w := range ws {
				w.Wake()
			}
			turns.Add(1)
		}
	}()
	return func() {
		t.Helper()
		stopping.Store(true)
		r.Unpark()
		await(t, done, nil, "the turning goroutine did not stop after Unpark")
	}
}

// TestConcurrentReadersWhileTurning runs one reader and one writer
// goroutine per pipe, 16 pipes, while another goroutine turns the
// reactor. Readers and writers keep the edge-triggered rule (to EAGAIN,
// then await), so every byte must arrive, in order, and every wait must
// end; a lost wake-up stalls the byte count, which the watchdog reports.
func TestConcurrentReadersWhileTurning(t *testing.T) {
	const pipes, messages = 16, 2000
	r := newReactor(t)
	var turns atomic.Int64
	stop := turner(t, r, &turns)
	defer stop()

	var got atomic.Int64 // messages read, over all pipes
	var regs []*Registration
	var fds []int
	for range pipes {
		rd, wr := pipe(t)
		for _, fd := range []int{wr, rd} {
			reg, err := r.Register(fd)
			if err != nil {
				t.Fatal(err)
			}
			regs, fds = append(regs, reg), append(fds, fd)
		}
	}
	parallel(t, 2*pipes, got.Load, "readers stopped getting their bytes: a lost wake-up", func(i int) error {
		if i%2 == 0 {
			return writeCounters(regs[i], fds[i], messages)
		}
		return readCounters(regs[i], fds[i], messages, &got)
	})
	if n := got.Load(); n != pipes*messages {
		t.Errorf("read %d messages, want %d", n, pipes*messages)
	}
}

// writeCounters writes the numbers 0 to n-1 to fd, 8 bytes each, a few at
// a time, awaiting Writable whenever the pipe is full.
func writeCounters(reg *Registration, fd, n int) error {
	defer reg.Deregister()
	var buf []byte
	for i := 0; i < n; {
		buf = buf[:0]
		for k := 0; k < 1+rand.IntN(8) && i+k < n; k++ {
			buf = binary.LittleEndian.AppendUint64(buf, uint64(i+k))
		}
		w, err := unix.Write(fd, buf)
		switch {
		case err == unix.EAGAIN:
			if err := blockOn(reg.Writable()); err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		case w%8 != 0:
			return errors.New("a pipe write of whole messages was cut short")
		}
		i += w / 8
		if rand.IntN(4) == 0 {
			runtime.Gosched() // let the reader find the pipe empty now and then
		}
	}
	return nil
}

// readCounters reads n numbers from fd, checking that they come in order,
// reading until EAGAIN before it awaits Readable.
func readCounters(reg *Registration, fd, n int, got *atomic.Int64) error {
	defer reg.Deregister()
	buf := make([]byte, 8*64)
	var partial []byte
	next := uint64(0)
	for next < uint64(n) {
		m, err := unix.Read(fd, buf)
		switch {
		case err == unix.EAGAIN:
			if err := blockOn(reg.Readable()); err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		case m == 0:
			return errors.New("end of file before every message")
		}
		partial = append(partial, buf[:m]...)
		for len(partial) >= 8 {
			if v := binary.LittleEndian.Uint64(partial); v != next {
				return errors.New("messages out of order")
			}
			partial = partial[8:]
			next++
			got.Add(1)
		}
	}
	return nil
}

// TestConcurrentRegisterDeregister registers and deregisters pipes from
// many goroutines while another turns the reactor, so that events arrive
// for descriptors being registered, just deregistered, or closed and
// reused. Each pipe holds a byte before it is registered, so its first
// Readable must be done with nil (the kernel reports the edge when the
// descriptor is added); a Readable still pending when its Registration is
// deregistered must be done with ErrClosed. At the end the table is empty.
func TestConcurrentRegisterDeregister(t *testing.T) {
	const workers, rounds = 8, 300
	r := newReactor(t)
	var turns atomic.Int64
	stop := turner(t, r, &turns)
	defer stop()

	var progress atomic.Int64
	parallel(t, workers, progress.Load, "a Register, Deregister or Readable stopped making progress", func(int) error {
		for i := range rounds {
			if err := registerRound(r, i%3); err != nil {
				return err
			}
			progress.Add(1)
		}
		return nil
	})
	r.regsMu.Lock()
	left := len(r.regs)
	r.regsMu.Unlock()
	if left != 0 {
		t.Errorf("%d registrations left in the table after every Deregister", left)
	}
}

// registerRound makes one pipe holding a byte, registers its read end,
// and then, by mode: 0 awaits Readable (done with nil); 1 polls Readable
// once and deregisters at once, racing the event; 2 deregisters without
// polling. The pipe is then closed, freeing its numbers for the next.
func registerRound(r *Reactor, mode int) error {
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		return err
	}
	defer unix.Close(p[1])
	defer unix.Close(p[0])
	if err := unix.SetNonblock(p[0], true); err != nil {
		return err
	}
	if _, err := unix.Write(p[1], []byte{1}); err != nil {
		return err
	}
	reg, err := r.Register(p[0])
	if err != nil {
		return err
	}
	switch mode {
	case 0:
		if err := blockOn(reg.Readable()); err != nil {
			return errors.New("Readable on a pipe holding a byte: " + err.Error())
		}
	case 1:
		f := reg.Readable()
		ch := make(chanWaker, 1)
		pending := !f.Poll(future.NewContext(ch)).IsDone()
		if err := reg.Deregister(); err != nil {
			return err
		}
		if pending {
			<-ch // Deregister wakes a pending Readable
			if err, ok := f.Poll(future.NewContext(ch)).Value(); !ok || err != ErrClosed {
				return errors.New("a Readable pending at Deregister was not done with ErrClosed")
			}
		}
	}
	return reg.Deregister()
}

// TestConcurrentSleepsAndCancels arms sleeps of 0 to 3ms from many
// goroutines while another turns the reactor, and cancels about half of
// them at a random moment, before or after they fire. Every sleep that is
// not cancelled must finish; no waker may be called twice; once all are
// done or cancelled the heap must be empty, garbage included.
func TestConcurrentSleepsAndCancels(t *testing.T) {
	const workers, sleeps = 8, 300
	r := newReactor(t)
	var turns atomic.Int64
	stop := turner(t, r, &turns)
	defer stop()

	var progress atomic.Int64
	parallel(t, workers, progress.Load, "sleeps stopped finishing: a lost timer", func(int) error {
		for range sleeps {
			d := time.Duration(rand.IntN(3000)) * time.Microsecond
			s := r.Sleep(d)
			if rand.IntN(2) == 0 {
				blockOn(s)
			} else {
				var wakes atomic.Int32
				s.Poll(future.NewContext(future.WakerFunc(func() { wakes.Add(1) })))
				for range rand.IntN(200) {
					runtime.Gosched()
				}
				future.Cancel(s)
				if n := wakes.Load(); n > 1 {
					return errors.New("a sleep's waker was called more than once")
				}
			}
			progress.Add(1)
		}
		return nil
	})
	if n := r.heapLen(); n != 0 {
		t.Errorf("%d entries left in the heap with every sleep done or cancelled", n)
	}
	if err := r.checkHeap(); err != nil {
		t.Error(err)
	}
}

// TestConcurrentClose closes the reactor while goroutines wait on it:
// each has registered a pipe and awaits Readable and an hour's sleep, and
// more keep registering. Every wait must end (Readable with ErrClosed, the
// sleep early), and a Register that loses the race gets ErrClosed.
func TestConcurrentClose(t *testing.T) {
	for range 20 {
		r, err := New()
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var started sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 8 {
			rd, _ := pipe(t)
			started.Add(1)
			wg.Go(func() {
				reg, err := r.Register(rd)
				started.Done()
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					errs <- err
					return
				}
				if i%2 == 0 {
					if err := blockOn(reg.Readable()); err != ErrClosed {
						errs <- errors.New("Readable on an empty pipe ended without ErrClosed")
					}
				} else {
					blockOn(r.Sleep(time.Hour))
				}
				reg.Deregister()
			})
		}
		started.Wait()
		closed := make(chan struct{})
		go func() {
			if err := r.Close(); err != nil {
				errs <- err
			}
			close(closed)
		}()
		await(t, closed, nil, "Close did not return")
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		await(t, done, nil, "a Readable or a Sleep still waits after Close")
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
}
