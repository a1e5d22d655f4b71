package main

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
)

// print writes the report: one line per figure, a label and its values,
// at most 72 columns, so that the book can show it as it is (with a ~
// before each number that changes from run to run).
func (res *loadResult) print(w io.Writer) {
	lc := res.lc
	line := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%-15s %s\n", label, fmt.Sprintf(format, args...))
	}
	if lc.hold {
		line("target", "%s, %d connections held idle", lc.addr, lc.conns)
		line("connections", "%d made, %d failed, held for %.1fs",
			res.made, res.failed, res.window.Seconds())
		if !res.memRead {
			line("server memory", "not measured: give -pid")
		} else {
			per := float64(res.rss1-res.rss0) / float64(res.made)
			line("server memory", "%.0f B per connection (RSS %s → %s)",
				per, fmtMiB(res.rss0), fmtMiB(res.rss1))
			line("server fds", "%.2f per connection (%d → %d)",
				float64(res.fds1-res.fds0)/float64(res.made), res.fds0, res.fds1)
			if !res.settled {
				line("note", "the server was still changing when read")
			}
		}
		line("errors", "%d reset, %d EOF, %d other", res.reset, res.eof, res.other)
		return
	}
	line("target", "%s, %d connections, %d-byte messages", lc.addr, lc.conns, lc.size)
	line("runtime", "%s, %v warm-up, %v measured",
		nounCount(res.workers, "worker"), lc.warmupDur(), lc.dur)
	line("connections", "%d made, %d failed", res.made, res.failed)
	n := res.hist.n
	secs := res.window.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(n) / secs
	}
	line("round trips", "%.0f/s (%d in %.2fs)", rate, n, secs)
	if n > 0 {
		line("latency", "p50 %s, p99 %s, max %s", micros(res.hist.quantile(0.5)),
			micros(res.hist.quantile(0.99)), micros(float64(res.hist.max)))
	}
	perTrip := func(ns int64) string {
		if n == 0 {
			return "no round trips"
		}
		return micros(float64(ns)/float64(n)) + " per round trip"
	}
	cores := func(ns int64) float64 { return float64(ns) / float64(max(res.window.Nanoseconds(), 1)) }
	if lc.pid == 0 {
		line("server CPU", "not measured: give -pid")
	} else {
		line("server CPU", "%s, %.2f cores", perTrip(res.serverCPU), cores(res.serverCPU))
	}
	// The generator can use at most as many cores as it has workers,
	// and no more than GOMAXPROCS (taskset lowers it).
	limit := min(res.workers, runtime.GOMAXPROCS(0))
	line("generator CPU", "%s, %.2f of %s", perTrip(res.selfCPU), cores(res.selfCPU),
		nounCount(limit, "core"))
	line("errors", "%d verify, %d reset, %d EOF, %d other",
		res.verify, res.reset, res.eof, res.other)
	if lc.hist {
		res.printHist(line)
	}
}

// printHist writes, with -hist, the latency histogram: a line per bucket
// that counted any round trip, in order, with the bucket's bounds (from,
// and up to but not including, exact) and its count.
func (res *loadResult) printHist(line func(label, format string, args ...any)) {
	used := 0
	for _, c := range res.hist.counts {
		if c > 0 {
			used++
		}
	}
	line("histogram", "%d buckets: from, up to (not including), round trips", used)
	for i, c := range res.hist.counts {
		if c > 0 {
			lo, hi := bucketBounds(i)
			line("bucket", "%sµs %sµs %d", exactMicros(lo), exactMicros(hi), c)
		}
	}
}

// micros formats ns as microseconds with three significant digits or so:
// the histogram is good to 1.6%, so more would be noise. The unit is
// always µs, so that the book's ~N matches whatever the value.
func micros(ns float64) string {
	us := ns / 1e3
	switch {
	case us < 10:
		return fmt.Sprintf("%.2fµs", us)
	case us < 100:
		return fmt.Sprintf("%.1fµs", us)
	}
	return fmt.Sprintf("%.0fµs", us)
}

// exactMicros formats ns as microseconds with every digit, so that the
// bounds of neighbouring buckets never print alike.
func exactMicros(ns int64) string {
	return strconv.FormatFloat(float64(ns)/1e3, 'f', -1, 64)
}

// mib formats a byte count in MiB.
func fmtMiB(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// plural returns "1 core" or "n cores".
func nounCount(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
