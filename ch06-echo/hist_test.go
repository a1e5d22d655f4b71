package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// histErr is the documented bound: a quantile is within 1/(2·histSub) of
// the recorded value it stands for.
const histErr = 1.0 / (2 * histSub)

// TestBucketBounds checks, for values across the whole range, that each
// lands in a bucket whose middle is within histErr of it, that buckets
// never go down as values go up, and that values out of range are
// clamped instead of indexing out of the array.
func TestBucketBounds(t *testing.T) {
	prev := 0
	check := func(v int64) {
		b := bucket(v)
		if b < prev {
			t.Fatalf("bucket(%d) = %d, below the bucket of a smaller value (%d)", v, b, prev)
		}
		prev = b
		if mid := bucketMid(b); math.Abs(mid-float64(v)) > histErr*float64(v) {
			t.Fatalf("value %d: bucket %d's middle %v is off by more than %.2f%%", v, b, mid, 100*histErr)
		}
	}
	for v := range int64(100_000) {
		check(v)
	}
	for v := int64(100_000); v < 1<<histMaxBits; v += v/997 + 1 {
		check(v)
	}
	for _, v := range []int64{-5, 1 << histMaxBits, math.MaxInt64} {
		if b := bucket(v); b < 0 || b >= histBuckets {
			t.Errorf("bucket(%d) = %d, outside 0..%d", v, b, histBuckets-1)
		}
	}
	if v := int64(2*histSub - 1); bucketMid(bucket(v)) != float64(v) {
		t.Errorf("value %d is not exact", v)
	}
}

// TestBucketRanges checks bucketBounds, which -hist prints: every
// bucket's range starts where the one before ends, and holds exactly the
// values bucket maps to it (its first and last value, and the values
// either side, which belong to the neighbours).
func TestBucketRanges(t *testing.T) {
	var prevHi int64
	for i := range histBuckets {
		lo, hi := bucketBounds(i)
		if lo != prevHi || hi <= lo {
			t.Fatalf("bucket %d is [%d, %d), want it to start at %d and not be empty", i, lo, hi, prevHi)
		}
		prevHi = hi
		if bucket(lo) != i || bucket(hi-1) != i {
			t.Fatalf("bucket %d is [%d, %d), but bucket(%d) = %d and bucket(%d) = %d", i, lo, hi, lo, bucket(lo), hi-1, bucket(hi-1))
		}
		if i > 0 && bucket(lo-1) != i-1 {
			t.Fatalf("bucket(%d) = %d, want %d", lo-1, bucket(lo-1), i-1)
		}
		if mid := bucketMid(i); mid != float64(lo)+float64(hi-lo)/2 && hi-lo > 1 {
			t.Fatalf("bucket %d is [%d, %d), its middle %v", i, lo, hi, mid)
		}
	}
	if prevHi != 1<<histMaxBits {
		t.Errorf("the last bucket ends at %d, want 2^%d", prevHi, histMaxBits)
	}
}

// exactQuantile is the ⌈q·n⌉-th smallest of sorted.
func exactQuantile(sorted []int64, q float64) float64 {
	rank := int(math.Ceil(q*float64(len(sorted)) - 1e-9))
	return float64(sorted[max(rank, 1)-1])
}

// TestQuantiles compares the histogram's quantiles with exact ones, for
// inputs with known quantiles and for random ones spread over six orders
// of magnitude, recorded into several histograms and merged as the load
// generator does.
func TestQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	inputs := map[string][]int64{
		"1 to 1000": func() []int64 {
			var vs []int64
			for v := range int64(1000) {
				vs = append(vs, v+1)
			}
			return vs
		}(),
		"one value": {123456, 123456, 123456},
		"log-uniform": func() []int64 {
			vs := make([]int64, 50_000)
			for i := range vs {
				vs[i] = int64(math.Exp(rng.Float64() * math.Log(1e9)))
			}
			return vs
		}(),
	}
	for name, vs := range inputs {
		hs := make([]histogram, 4)
		for i, v := range vs {
			hs[i%len(hs)].record(v)
		}
		var h histogram
		for i := range hs {
			h.merge(&hs[i])
		}
		sorted := slices.Sorted(slices.Values(vs))
		if h.n != uint64(len(vs)) || h.max != sorted[len(sorted)-1] {
			t.Errorf("%s: n %d, max %d; want %d, %d", name, h.n, h.max, len(vs), sorted[len(sorted)-1])
		}
		for _, q := range []float64{0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 1} {
			got, want := h.quantile(q), exactQuantile(sorted, q)
			if math.Abs(got-want) > histErr*want {
				t.Errorf("%s: quantile %v = %v, want %v within %.2f%%", name, q, got, want, 100*histErr)
			}
		}
	}
	if q := new(histogram).quantile(0.5); q != 0 {
		t.Errorf("the median of nothing is %v, want 0", q)
	}
	var h histogram
	h.record(1000)
	h.record(1010)
	if got := h.quantile(1); got != 1010 {
		t.Errorf("the largest of 1000 and 1010 is %v, want 1010 exactly", got)
	}
}
