package main

import (
	"strings"
	"testing"
)

func TestParseStatCPU(t *testing.T) {
	// A real line, with a command name that holds spaces and
	// parentheses; utime 1234 and stime 567 ticks.
	const line = "4242 (ch06 (echo) x) S 1 4242 4242 0 -1 4194560 2040 0 0 0 " +
		"1234 567 0 0 20 0 9 0 123456 1234567890 3000 18446744073709551615 " +
		"1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	got, err := parseStatCPU(line)
	if want := int64(1234+567) * 10_000_000; err != nil || got != want {
		t.Errorf("parseStatCPU = %d, %v; want %d", got, err, want)
	}
	for _, bad := range []string{
		"",
		"4242 no name here",
		"4242 (short) S 1 2 3",
		strings.Replace(line, " 1234 ", " x ", 1),
		strings.Replace(line, " 567 ", " -5 ", 1),
	} {
		if _, err := parseStatCPU(bad); err == nil {
			t.Errorf("parseStatCPU(%q): no error", bad)
		}
	}
}

func TestParseSchedstat(t *testing.T) {
	got, err := parseSchedstat("807074123 129362 6\n")
	if err != nil || got != 807074123 {
		t.Errorf("parseSchedstat = %d, %v; want 807074123", got, err)
	}
	for _, bad := range []string{"", "1 2", "x 2 3", "-1 2 3"} {
		if _, err := parseSchedstat(bad); err == nil {
			t.Errorf("parseSchedstat(%q): no error", bad)
		}
	}
}

func TestParseVmRSS(t *testing.T) {
	const status = "Name:\tch06-echo\nUmask:\t0022\nState:\tS (sleeping)\n" +
		"VmPeak:\t 1260000 kB\nVmHWM:\t   20000 kB\nVmRSS:\t   12345 kB\n" +
		"RssAnon:\t    5000 kB\nThreads:\t7\n"
	got, err := parseVmRSS(status)
	if err != nil || got != 12345*1024 {
		t.Errorf("parseVmRSS = %d, %v; want %d", got, err, 12345*1024)
	}
	for _, bad := range []string{
		"Name:\tkthreadd\nState:\tS (sleeping)\n",
		"VmRSS:\t 12 MB\n",
		"VmRSS:\t x kB\n",
	} {
		if _, err := parseVmRSS(bad); err == nil {
			t.Errorf("parseVmRSS(%q): no error", bad)
		}
	}
}

func TestCPUBetween(t *testing.T) {
	const ms = 1_000_000
	a := procCPU{stat: 100 * ms, threads: map[int64]int64{1: 60*ms + 123, 2: 45*ms + 7}}
	for _, tc := range []struct {
		name string
		b    procCPU
		want int64
	}{
		{"schedstat, to the nanosecond",
			procCPU{stat: 150 * ms, threads: map[int64]int64{1: 80*ms + 500, 2: 72*ms + 7}},
			20*ms + 377 + 27*ms},
		{"a new thread counts whole",
			procCPU{stat: 130 * ms, threads: map[int64]int64{1: 60*ms + 123, 2: 45*ms + 7, 3: 25 * ms}},
			25 * ms},
		{"a thread exited: stat",
			procCPU{stat: 400 * ms, threads: map[int64]int64{1: 70*ms + 123}},
			300 * ms},
		{"no schedstat: stat",
			procCPU{stat: 180 * ms},
			80 * ms},
	} {
		if got := cpuBetween(a, tc.b); got != tc.want {
			t.Errorf("%s: %d ns, want %d", tc.name, got, tc.want)
		}
	}
}
