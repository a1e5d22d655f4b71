package figure

import (
	"os"
	"strings"
	"testing"
)

// sample is a data file of two series over three and two runs. The
// charts command's tests draw the same file.
var sample = func() string {
	b, err := os.ReadFile("testdata/sample.txt")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// TestStats checks the median and range, across GOMAXPROCS suffixes.
func TestStats(t *testing.T) {
	d, err := Parse("x.txt", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		bench       string
		med, lo, hi float64
	}{{"X/ours", 20, 10, 30}, {"X/theirs", 50, 40, 60}} {
		if m, lo, hi := d.Stats(tt.bench); m != tt.med || lo != tt.lo || hi != tt.hi {
			t.Errorf("Stats(%s) = %v %v %v, want %v %v %v", tt.bench, m, lo, hi, tt.med, tt.lo, tt.hi)
		}
	}
}

// TestParseErrors checks that a data file that cannot be drawn says why.
func TestParseErrors(t *testing.T) {
	for _, tt := range []struct{ edit, want string }{
		{"# title: T\n", "x.txt:1: the header has no # title: line"},
		{"# bar: spawn | X/ours | X/theirs\n", "x.txt:1: the header has no # bar: line"},
		{"# bar: spawn | X/ours | X/theirs\n=# bar: spawn | X/ours\n", "x.txt:6: want # bar: LABEL, then one benchmark for each of the 2 series"},
		{"BenchmarkX/theirs-8   3  100 ns/op  40 ns/task\n", ""},
		{"# unit: ns/task\n=# unit: B/op\n", "no run of X/ours reports B/op"},
		{"30 ns/task\n=3x ns/task\n", "x.txt:9: parsing measurement: invalid syntax"},
		{"# bar:=# series: third\n# bar:", "x.txt:7: want # bar: LABEL, then one benchmark for each of the 3 series"},
	} {
		old, repl, _ := strings.Cut(tt.edit, "=")
		data := strings.Replace(sample, old, repl, 1)
		_, err := Parse("x.txt", []byte(data))
		if tt.want == "" {
			if err != nil {
				t.Errorf("removing %q: %v", old, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("editing %q: err = %v, want %q", tt.edit, err, tt.want)
		}
	}
}

// TestStamp checks that a stamped chart is current with the data it was
// stamped with and with no other, not even one byte apart.
func TestStamp(t *testing.T) {
	svg := Stamped([]byte("<?xml version=\"1.0\"?>\n<svg/>\n"), "x.txt", []byte(sample))
	if !strings.HasPrefix(string(svg), "<?xml version=\"1.0\"?>\n<!-- drawn by") {
		t.Errorf("the stamp is not after the XML declaration:\n%s", svg)
	}
	if !Current(svg, "x.txt", []byte(sample)) {
		t.Error("a chart is not current with the data it was stamped with")
	}
	if Current(svg, "x.txt", []byte(sample+"\n")) {
		t.Error("a chart is current with data one byte longer")
	}
	if Current(svg, "y.txt", []byte(sample)) {
		t.Error("a chart is current with the same data under another name")
	}
}

// TestStatsPerProcs checks that a bar can name the runs of one GOMAXPROCS,
// as go test -cpu 1,2 prints them: NAME at 1, NAME-2 at 2.
func TestStatsPerProcs(t *testing.T) {
	const data = `# command: go test -bench X -cpu 1,2 ./x
# title: T
# unit: ns/task
# ours: ours
# theirs: theirs
# bar: one P | X/ours-1 | X/theirs-1
# bar: two Ps | X/ours-2 | X/theirs-2
BenchmarkX/ours       3  100 ns/op  10 ns/task
BenchmarkX/ours-2     3  100 ns/op  20 ns/task
BenchmarkX/theirs     3  100 ns/op  30 ns/task
BenchmarkX/theirs-2   3  100 ns/op  40 ns/task
`
	d, err := Parse("x.txt", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	for bench, want := range map[string]float64{"X/ours-1": 10, "X/ours-2": 20, "X/theirs-1": 30, "X/theirs-2": 40, "X/ours": 15} {
		if m, _, _ := d.Stats(bench); m != want {
			t.Errorf("Stats(%s) median = %v, want %v", bench, m, want)
		}
	}
}

// TestHistogramParse checks the histogram kind: its buckets are read
// from the bucket lines, other lines kept; a bad bucket line, buckets
// out of order, a bad upto and an unknown kind are errors naming the
// line.
func TestHistogramParse(t *testing.T) {
	const head = "# command: x -hist\n# kind: histogram\n# title: T\n# axis: µs\n"
	d, err := Parse("h.txt", []byte(head+"latency p50 1µs\nbucket 1.00µs 2.00µs 3\nbucket 2 4 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !d.IsHistogram() || len(d.Buckets) != 2 || d.Buckets[0] != (Bucket{1, 2, 3}) || d.Buckets[1] != (Bucket{2, 4, 1}) || len(d.Body) != 3 {
		t.Errorf("parsed %+v", d)
	}
	for _, c := range []struct{ data, want string }{
		{head + "bucket 1 2\n", "h.txt:5: bucket 1 2: want bucket LO HI COUNT"},
		{head + "bucket 1 2 x\n", `h.txt:5: bucket 1 2 x: strconv.ParseFloat: parsing "x": invalid syntax`},
		{head + "bucket 2 2 1\n", "h.txt:5: bucket 2 2 1: want LO < HI, buckets in order and not overlapping, COUNT ≥ 0"},
		{head + "bucket 2 4 1\nbucket 3 5 1\n", "h.txt:6: bucket 3 5 1: want LO < HI, buckets in order and not overlapping, COUNT ≥ 0"},
		{head + "# upto: 2\nbucket 1 2 1\n", "h.txt:1: # upto: 2: want a quantile, more than 0 and at most 1"},
		{head + "latency p50 1µs\n", "h.txt: no bucket lines to draw"},
		{"# command: x\n# kind: pie\n", "h.txt:1: # kind: pie: want bars (the default) or histogram"},
		{"# command: x\n# kind: histogram\n# title: T\n", "h.txt:1: the header has no # axis: line"},
	} {
		if _, err := Parse("h.txt", []byte(c.data)); err == nil || err.Error() != c.want {
			t.Errorf("Parse(%q): %v, want %s", c.data, err, c.want)
		}
	}
}
