// Package figure reads the data files of the book's benchmark charts and
// says whether a chart is current with its data; package main in
// cmd/book/charts draws them. The split keeps the renderer (serve, build)
// free of the plotting library, which takes longer to compile than all
// the rest of it.
//
// Every chart is drawn from one data file, book/figures/NAME.txt, into
// book/figures/NAME.svg. A data file is the raw output of `go test -bench`
// under a header of `# key: value` lines that says how it was made and
// what to draw:
//
//	# command: go test -run '^$' -bench SpawnRun -count=5 ./ch03-executor/executor
//	# machine: AMD EPYC, 2 cores, go1.26.0 linux/amd64
//	# title: Spawn and run a million tasks
//	# unit: ns/task
//	# ours: this book's executor
//	# theirs: goroutines
//	# series: a pool of goroutines fed by a channel
//	# axis: ns per task
//	# bar: spawn + run | SpawnRun/executor | SpawnRun/goroutines | SpawnRun/chanpool
//
// The series are this book's runtime (ours), what Go ships (theirs) and
// any others the chapter's table compares (a `series` line each, in
// order). Each `bar` line is one group of bars: a label, then one
// benchmark per series (names without the Benchmark prefix; with the
// -GOMAXPROCS suffix, as in SpawnRun/executor-2, only the runs at that
// GOMAXPROCS, where 1 is written -1). A bar's height is the median of the
// runs of its benchmark in unit; its whisker spans the fastest and the
// slowest run. The value axis is labelled with `axis`, the unit in words
// (the unit itself if there is none). An optional `prepare` line is a
// command that go run ./cmd/book bench runs, once, before any benchmark
// (it builds a server the command needs, for example).
//
// A data file with `# kind: histogram` is a histogram instead, of one
// run of a program that prints its buckets, a line each, as `bucket LO
// HI COUNT` (the bounds in µs, with or without the µs; other lines are
// kept and ignored), as chapter 6's load generator does with -hist. Its
// header needs command, title and axis (what the buckets measure), not
// the bar lines; optional lines give the unit of the bounds (`unit`, µs
// by default), what the counts count (`values`, e.g. round trips) and
// the quantile past which the chart leaves the tail out, saying how much
// (`upto`, 0.999 by default).
//
// A chart carries a stamp (see Stamp): a comment naming its data file and
// the file's SHA-256, so the renderer can tell a chart drawn from other
// data without drawing it. Drawing is deterministic: the same data file
// gives the same SVG bytes, so the charts' own test redraws each chart in
// memory and compares it with the committed one.
package figure

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// A Data is a parsed data file.
type Data struct {
	Name    string            // the file's name, for messages
	Header  map[string]string // the header's single-valued keys
	Series  []string          // ours, theirs, then the series lines
	Bars    []Bar             // the header's bar lines, in order
	Results map[string][]float64
	// Results maps "NAME UNIT" (NAME without Benchmark and -N) to every
	// value the runs reported in that unit, in file order.
	HeaderLines []string // the header, as written
	Body        []string // the lines after the header
	Buckets     []Bucket // a histogram's buckets, in order
}

// A Bucket is one bucket of a histogram: the values from Lo up to Hi
// (not including it) and how many there were.
type Bucket struct {
	Lo, Hi float64
	Count  float64
}

// IsHistogram reports whether the data file draws a histogram.
func (d *Data) IsHistogram() bool { return d.Header["kind"] == "histogram" }

// A Bar is one compared group: a label and a benchmark per series.
type Bar struct {
	Label   string
	Benches []string
}

// required are the header keys every data file must have.
var required = []string{"command", "title", "unit", "ours", "theirs"}

// Parse parses a data file and checks that every bar has runs to draw. An
// error names the file and line.
func Parse(name string, data []byte) (*Data, error) {
	d, err := ParseHeader(name, data)
	if err != nil {
		return nil, err
	}
	if d.IsHistogram() {
		if len(d.Buckets) == 0 {
			return nil, fmt.Errorf("%s: no bucket lines to draw", name)
		}
		return d, nil
	}
	unit := d.Header["unit"]
	for _, b := range d.Bars {
		for _, bench := range b.Benches {
			if len(d.Results[bench+" "+unit]) == 0 {
				return nil, fmt.Errorf("%s: no run of %s reports %s", name, bench, unit)
			}
		}
	}
	return d, nil
}

// ParseHeader parses a data file whose runs may be missing, as a new data
// file holds only its header until its command first runs.
func ParseHeader(name string, data []byte) (*Data, error) {
	d := &Data{Name: name, Header: make(map[string]string), Results: make(map[string][]float64)}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	var extra []string
	var barLines []int
	i := 0
	for ; i < len(lines) && strings.HasPrefix(lines[i], "#"); i++ {
		d.HeaderLines = append(d.HeaderLines, lines[i])
		key, value, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(lines[i], "#")), ":")
		if !ok {
			continue // prose
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if strings.Contains(key, " ") {
			continue // prose with a colon in it
		}
		switch key {
		case "bar":
			f := strings.Split(value, "|")
			for k := range f {
				f[k] = strings.TrimSpace(f[k])
			}
			d.Bars = append(d.Bars, Bar{f[0], f[1:]})
			barLines = append(barLines, i+1)
			continue
		case "series":
			extra = append(extra, value)
			continue
		}
		d.Header[key] = value
	}
	switch d.Header["kind"] {
	case "histogram":
		return parseHistogram(d, lines[i:], i)
	case "", "bars":
	default:
		return nil, fmt.Errorf("%s:1: # kind: %s: want bars (the default) or histogram", name, d.Header["kind"])
	}
	for _, k := range required {
		if d.Header[k] == "" {
			return nil, fmt.Errorf("%s:1: the header has no # %s: line", name, k)
		}
	}
	if len(d.Bars) == 0 {
		return nil, fmt.Errorf("%s:1: the header has no # bar: line", name)
	}
	d.Series = append([]string{d.Header["ours"], d.Header["theirs"]}, extra...)
	for k, b := range d.Bars {
		if len(b.Benches) != len(d.Series) {
			return nil, fmt.Errorf("%s:%d: want # bar: LABEL, then one benchmark for each of the %d series, separated by |", name, barLines[k], len(d.Series))
		}
	}
	d.Body = lines[i:]
	// The body is go test -bench output, read by x/perf's benchfmt, the
	// reader benchstat uses; it reports a line it cannot read with its
	// position, counted from the body's first line.
	r := benchfmt.NewReader(strings.NewReader(strings.Join(d.Body, "\n")), name)
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, fmt.Errorf("%s:%d: %s", name, i+rec.Line, rec.Msg)
		case *benchfmt.Result:
			// go test names a run NAME-P, with P its GOMAXPROCS, and
			// plain NAME when P is 1. A bar may name either NAME (every
			// P) or NAME-P.
			bench, procs := rec.Name.String(), "-1"
			if base, parts := rec.Name.Parts(); len(parts) > 0 && strings.HasPrefix(string(parts[len(parts)-1]), "-") {
				procs = string(parts[len(parts)-1])
				bench = string(base) + string(bytes.Join(parts[:len(parts)-1], nil))
			}
			for _, v := range rec.Values {
				value, unit := v.Value, v.Unit
				if v.OrigUnit != "" {
					value, unit = v.OrigValue, v.OrigUnit // as written: ns/task, not sec/task
				}
				for _, key := range []string{bench + " " + unit, bench + procs + " " + unit} {
					d.Results[key] = append(d.Results[key], value)
				}
			}
		}
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return d, nil
}

// histogramRequired are the header keys a histogram's data file must
// have.
var histogramRequired = []string{"command", "title", "axis"}

// parseHistogram reads the bucket lines of a histogram's body, which
// starts at line first+1 of the file.
func parseHistogram(d *Data, body []string, first int) (*Data, error) {
	for _, k := range histogramRequired {
		if d.Header[k] == "" {
			return nil, fmt.Errorf("%s:1: the header has no # %s: line", d.Name, k)
		}
	}
	if u := d.Header["upto"]; u != "" {
		if q, err := strconv.ParseFloat(u, 64); err != nil || q <= 0 || q > 1 {
			return nil, fmt.Errorf("%s:1: # upto: %s: want a quantile, more than 0 and at most 1", d.Name, u)
		}
	}
	d.Body = body
	for k, l := range body {
		f := strings.Fields(l)
		if len(f) == 0 || f[0] != "bucket" {
			continue
		}
		var v [3]float64
		var err error
		if len(f) != 4 {
			err = fmt.Errorf("want bucket LO HI COUNT")
		}
		for j := 0; err == nil && j < 3; j++ {
			v[j], err = strconv.ParseFloat(strings.TrimSuffix(f[j+1], "µs"), 64)
		}
		if err == nil && (v[0] >= v[1] || v[2] < 0 || len(d.Buckets) > 0 && v[0] < d.Buckets[len(d.Buckets)-1].Hi) {
			err = fmt.Errorf("want LO < HI, buckets in order and not overlapping, COUNT ≥ 0")
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %v", d.Name, first+k+1, l, err)
		}
		d.Buckets = append(d.Buckets, Bucket{v[0], v[1], v[2]})
	}
	return d, nil
}

// Stats returns the median, the minimum and the maximum of the values the
// benchmark bench reported in the data file's unit.
func (d *Data) Stats(bench string) (median, lo, hi float64) {
	vs := slices.Clone(d.Results[bench+" "+d.Header["unit"]])
	slices.Sort(vs)
	n := len(vs)
	median = vs[n/2]
	if n%2 == 0 {
		median = (vs[n/2-1] + vs[n/2]) / 2
	}
	return median, vs[0], vs[n-1]
}

// Runs returns how many runs the benchmark bench has.
func (d *Data) Runs(bench string) int { return len(d.Results[bench+" "+d.Header["unit"]]) }

// CPU returns the cpu: line of the go test output, if any.
func (d *Data) CPU() string {
	for _, l := range d.Body {
		if c, ok := strings.CutPrefix(l, "cpu: "); ok {
			return strings.TrimSpace(c)
		}
	}
	return ""
}

// Stamp returns the comment that a chart drawn from the data file named
// name, holding data, carries: the file's name and its SHA-256.
func Stamp(name string, data []byte) string {
	return fmt.Sprintf("<!-- drawn by go run ./cmd/book charts from %s, sha256 %x -->", name, sha256.Sum256(data))
}

// Stamped returns svg with the stamp of the data file inserted after its
// XML declaration (or first, if it has none).
func Stamped(svg []byte, name string, data []byte) []byte {
	stamp := Stamp(name, data) + "\n"
	s := string(svg)
	if strings.HasPrefix(s, "<?xml") {
		if i := strings.Index(s, "?>\n"); i >= 0 {
			return []byte(s[:i+3] + stamp + s[i+3:])
		}
	}
	return []byte(stamp + s)
}

// Current reports whether svg carries the stamp of the data file named
// name, holding data: whether it was drawn from that data as it is now.
func Current(svg []byte, name string, data []byte) bool {
	return strings.Contains(string(svg), Stamp(name, data))
}
