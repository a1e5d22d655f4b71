package main

import (
	"math"
	"math/bits"
)

// A histogram counts latencies, in nanoseconds, in log-linear buckets:
// each power of two, [2^e, 2^(e+1)), is cut into histSub equal buckets.
// A bucket is then at most 1/histSub of its lower bound wide, and a
// quantile reported as the middle of its bucket is within half of that,
// 1/(2·histSub) = 1.6%, of the recorded value it stands for. Values
// below 2·histSub ns have buckets of width one and are exact. This is the
// idea of Gil Tene's HdrHistogram, cut down to what the load generator
// needs.
//
// Each connection's task has a histogram of its own, so that recording a
// round trip writes only to memory that task owns; they are merged once,
// at the end. A histogram is about 9 KiB.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64 // values recorded
	max    int64  // the largest value recorded, exactly
}

const (
	histSubBits = 5
	histSub     = 1 << histSubBits // buckets per power of two
	histMaxBits = 40               // values are clamped below 2^40 ns, about 18 minutes
	histBuckets = (histMaxBits - histSubBits + 1) * histSub
)

// ANCHOR: histogram

// bucket returns the index of the bucket that counts v: below 2·histSub
// the value itself; above, histSub buckets per power of two, found from
// the position of v's top bit and the histSubBits bits below it.
func bucket(v int64) int {
	if v < 0 {
		v = 0
	}
	u := min(uint64(v), 1<<histMaxBits-1)
	if u < 2*histSub {
		return int(u)
	}
	shift := bits.Len64(u) - 1 - histSubBits // drop all but the top 6 bits
	return shift*histSub + int(u>>shift)
}

// bucketMid returns the middle of bucket i: the value a quantile that
// falls in it is reported as.
func bucketMid(i int) float64 {
	if i < 2*histSub {
		return float64(i)
	}
	shift := i/histSub - 1
	lo := uint64(i-shift*histSub) << shift
	return float64(lo) + float64(uint64(1)<<shift)/2
}

// ANCHOR_END: histogram

// bucketBounds returns the values bucket i counts: from lo up to, and not
// including, hi.
func bucketBounds(i int) (lo, hi int64) {
	if i < 2*histSub {
		return int64(i), int64(i) + 1
	}
	shift := i/histSub - 1
	lo = int64(i-shift*histSub) << shift
	return lo, lo + 1<<shift
}

// record counts one value.
func (h *histogram) record(v int64) {
	h.counts[bucket(v)]++
	h.n++
	if v > h.max {
		h.max = v
	}
}

// merge adds o's counts to h.
func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the q-quantile (0 < q ≤ 1) of the recorded values: the
// middle of the bucket that holds the ⌈q·n⌉-th smallest (but no more
// than the largest value), or 0 if nothing was recorded.
func (h *histogram) quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	// ⌈q·n⌉, less a hair so that 0.99·100 is 99 and not 100.
	rank := uint64(math.Ceil(q*float64(h.n) - 1e-9))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			// No value is above the largest, so the middle of the
			// bucket is clamped to it.
			return min(bucketMid(i), float64(h.max))
		}
	}
	return float64(h.max) // not reached: the counts add up to n
}
