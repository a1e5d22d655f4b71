package reactortest

import (
	"bytes"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

// OpenFDs counts the process's open descriptors, or reports false where
// it cannot (no /proc/self/fd or /dev/fd to count them in).
func OpenFDs() (int, bool) {
	for _, dir := range []string{"/proc/self/fd", "/dev/fd"} {
		if es, err := os.ReadDir(dir); err == nil {
			return len(es), true
		}
	}
	return 0, false
}

// FDsBack waits until the process has no more descriptors open than
// before (a connection may be closed by a goroutine still on its way
// out), and fails the test, naming what is open, if that takes longer
// than StallLimit. Where OpenFDs cannot count, it does nothing.
func FDsBack(t testing.TB, before int) {
	t.Helper()
	deadline := time.Now().Add(StallLimit)
	for {
		n, ok := OpenFDs()
		if !ok || n <= before {
			return
		}
		if time.Now().After(deadline) {
			es, _ := os.ReadDir("/proc/self/fd")
			var links []string
			for _, e := range es {
				l, _ := os.Readlink("/proc/self/fd/" + e.Name())
				links = append(links, e.Name()+"→"+l)
			}
			t.Fatalf("descriptors leaked: %d before, %d after %v: %v", before, n, StallLimit, links)
		}
		runtime.Gosched()
	}
}

// GoroutinesBack waits until no more goroutines run than before, giving
// the ones on their way out time to end, and fails the test with every
// goroutine's stack if that takes longer than StallLimit.
func GoroutinesBack(t testing.TB, before int) {
	t.Helper()
	deadline := time.Now().Add(StallLimit)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutines leaked: %d before, %d after %v:\n%s",
				before, runtime.NumGoroutine(), StallLimit, buf)
		}
		runtime.Gosched()
	}
}

// A LockedBuffer is a bytes.Buffer that one goroutine (a logger, a
// server's output) may write while the test reads it on another.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what has been written so far.
func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
