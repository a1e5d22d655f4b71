package main

// Parsers for the Linux /proc files the load generator reads to measure
// a server (see proc_linux.go). They are plain functions of the files'
// text, so their tests run on every system.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of the times in /proc/PID/stat. Go
// cannot call sysconf(_SC_CLK_TCK), but on Linux it is 100 on every
// architecture: the kernel fixes it for user space whatever its own tick
// rate (USER_HZ in include/asm-generic/param.h).
const clockTicks = 100

// parseStatCPU returns utime+stime, in nanoseconds, from the text of
// /proc/PID/stat. The second field, the command name in parentheses, may
// itself hold spaces and parentheses, so the fields are counted from the
// last ')'. utime and stime are fields 14 and 15, in clock ticks.
func parseStatCPU(text string) (int64, error) {
	i := strings.LastIndexByte(text, ')')
	if i < 0 {
		return 0, errors.New("stat: no command name")
	}
	f := strings.Fields(text[i+1:]) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the name, want at least 13", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("stat: bad time %q", s)
		}
		ticks += n
	}
	return ticks * (1e9 / clockTicks), nil
}

// parseSchedstat returns the first field of /proc/PID/task/TID/schedstat:
// the nanoseconds the thread has run on a CPU.
func parseSchedstat(text string) (int64, error) {
	f := strings.Fields(text)
	if len(f) != 3 {
		return 0, fmt.Errorf("schedstat: %d fields, want 3", len(f))
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("schedstat: bad run time %q", f[0])
	}
	return n, nil
}

// parseVmRSS returns the resident set size, in bytes, from the text of
// /proc/PID/status, where a line reads "VmRSS:	  12345 kB".
func parseVmRSS(text string) (int64, error) {
	for line := range strings.Lines(text) {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("status: bad VmRSS line %q", strings.TrimSpace(line))
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("status: bad VmRSS %q", f[0])
		}
		return n << 10, nil
	}
	return 0, errors.New("status: no VmRSS line (a kernel thread, or a zombie?)")
}

// procCPU is one reading of the CPU time a process has used, taken two
// ways (see readProcCPU).
type procCPU struct {
	stat    int64           // utime+stime from /proc/PID/stat, ns, in whole ticks
	threads map[int64]int64 // run time per thread from schedstat, ns; nil if none
}

// ANCHOR: cpu-between

// cpuBetween returns the nanoseconds of CPU the process used between
// readings a and b. The per-thread schedstat times are exact to the
// nanosecond, where utime and stime are cut to 10ms ticks, so they are
// used unless the process has none, or a thread exited in between: its
// time left schedstat with it, while stat still counts it (the kernel
// adds a dead thread's time to its process), and stat is then the better
// figure.
func cpuBetween(a, b procCPU) int64 {
	fromStat := b.stat - a.stat
	if a.threads == nil || b.threads == nil {
		return fromStat
	}
	var sum int64
	for tid, ns := range b.threads {
		sum += ns - a.threads[tid] // a thread born in between started at 0
	}
	const slack = 2 * 1e9 / clockTicks // utime and stime are cut separately
	if fromStat > sum+slack {
		return fromStat
	}
	return sum
}

// ANCHOR_END: cpu-between
