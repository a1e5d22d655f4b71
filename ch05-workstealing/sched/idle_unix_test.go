//go:build linux || darwin || freebsd || netbsd || openbsd

package sched_test

import (
	"testing"
	"time"

	"github.com/asyncbook/asyncbook/ch05-workstealing/sched"
	"golang.org/x/sys/unix"
)

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestParkIdleUsesNoCPU keeps a runtime with two workers idle for 300ms, once
// with nothing to do and once with a task waiting on a 1-hour sleep, and
// measures the CPU time the whole process used meanwhile: under 10% of
// the wall time, or the workers are spinning instead of parking. This is
// the one test that waits for wall time, because idleness is what it
// measures. A busy machine cannot fail it: other processes' work is not
// counted, and a descheduled process uses less CPU, not more.
func TestParkIdleUsesNoCPU(t *testing.T) {
	const idle = 300 * time.Millisecond
	for _, sleeping := range []bool{false, true} {
		rt := newRT(t, 2)
		if sleeping {
			sched.Spawn(rt, rt.Sleep(time.Hour)) // Shutdown cancels it
		}
		// Let the workers find there is nothing to do; this is not
		// synchronisation: the bound holds however far they have got.
		waitFor(t, func() bool { return sum(rt.Stats().Parks) >= 2 }, "the workers never parked")
		before := cpuTime(t)
		start := time.Now()
		time.Sleep(idle)
		used, wall := cpuTime(t)-before, time.Since(start)
		t.Logf("sleeping task %t: %v of CPU in %v idle (parks %v)", sleeping, used, wall.Round(time.Millisecond), rt.Stats().Parks)
		if used > wall/10 {
			t.Errorf("sleeping task %t: an idle runtime used %v of CPU in %v: more than 10%%", sleeping, used, wall)
		}
	}
}
