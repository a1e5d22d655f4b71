package reactor

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// packageDeadline bounds one run of this package's tests and examples.
// Together they take a few seconds, even under -race on a busy machine
// (twice over: TestSuiteInNetpoller runs them all again in a child);
// the tests that can block have watchdogs of their own, but an Example
// cannot, and a lost wake-up there would otherwise hang until go test's
// -timeout, ten minutes by default.
const packageDeadline = 60 * time.Second

// TestMain runs the tests with a watchdog that ends the process, with every
// goroutine's stack, once they have run for packageDeadline per -count.
// Benchmarks run without it.
func TestMain(m *testing.M) {
	flag.Parse()
	if flag.Lookup("test.bench").Value.String() != "" {
		os.Exit(m.Run())
	}
	count, err := strconv.Atoi(flag.Lookup("test.count").Value.String())
	if err != nil || count < 1 {
		count = 1
	}
	limit := time.Duration(count) * packageDeadline
	watchdog := time.AfterFunc(limit, func() {
		fmt.Fprintf(os.Stderr, "reactor: tests still running after %v: a test or example is stuck, most likely waiting for a wake-up that was lost; the goroutines follow\n", limit)
		buf := make([]byte, 1<<20)
		os.Stderr.Write(buf[:runtime.Stack(buf, true)])
		os.Exit(2)
	})
	code := m.Run()
	watchdog.Stop()
	os.Exit(code)
}
