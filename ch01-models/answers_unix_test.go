//go:build unix

package main

// The answer to exercise 3 of chapter 1, which needs pipe(2) and a
// blocking read(2). The book's answers appendix includes it by anchor.

import (
	"io"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// ANCHOR: ex3-1

// Exercise 3: a goroutine blocked in a real read system call holds its
// thread (entersyscall; sysmon's retake hands the P to another thread with
// handoffp), so 50 of them need 50 threads. A goroutine that sleeps is
// parked (gopark) and holds none, so -latency starts no threads.
func TestAnswerBlockedReadsNeedThreads(t *testing.T) {
	const n = 50
	created := pprof.Lookup("threadcreate")

	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		t.Skipf("no pipe(2) here (%v); the answer needs a blocking read", err)
	}
	defer syscall.Close(fds[0])
	var inRead atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			inRead.Add(1)
			var b [1]byte
			// Blocks this thread until the write end closes.
			syscall.Read(fds[0], b[:])
		})
	}
	// n reads hold n threads, and this goroutine runs on one more; if the
	// reads held none, the count would stay low until the watchdog fires.
	deadline := time.Now().Add(10 * time.Second)
	for inRead.Load() < n || created.Count() < n+1 {
		if time.Now().After(deadline) {
			syscall.Close(fds[1])
			wg.Wait()
			t.Fatalf("after 10s: %d goroutines, %d threads; want %d, >= %d",
				inRead.Load(), created.Count(), n, n+1)
		}
		runtime.Gosched()
	}
	syscall.Close(fds[1]) // every read returns 0: end of file
	wg.Wait()
}

// ANCHOR_END: ex3-1

// ANCHOR: ex3-2

// The same number of goroutines, sleeping instead: no thread each.
func TestAnswerSleepsNeedNoThreads(t *testing.T) {
	const n = 50
	created := pprof.Lookup("threadcreate")
	before := created.Count()
	inputs := make([]input, n)
	for i := range inputs {
		inputs[i] = memInput("x\n")
	}
	o := options{latency: 50 * time.Millisecond}
	if err := threads(inputs, io.Discard, o); err != nil {
		t.Fatal(err)
	}
	if made := created.Count() - before; made >= n/2 {
		t.Errorf("%d sleeping goroutines made %d threads; "+
			"sleeping should hold none", n, made)
	}
}

// ANCHOR_END: ex3-2
