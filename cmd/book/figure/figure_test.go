package figure

import (
	"bytes"
	"strings"
	"testing"
)

const sample = `# command: go test -bench X ./x
# title: T
# unit: ns/task
# ours: ours
# theirs: theirs
# bar: spawn | X/ours | X/theirs
goos: linux
cpu: Test CPU
BenchmarkX/ours-2     3  100 ns/op  30 ns/task
BenchmarkX/ours-2     3  100 ns/op  10 ns/task
BenchmarkX/ours-2     3  100 ns/op  20 ns/task
BenchmarkX/theirs-8   3  100 ns/op  40 ns/task
BenchmarkX/theirs-8   3  100 ns/op  60 ns/task
PASS
`

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
		{"# bar: spawn | X/ours | X/theirs\n=# bar: spawn | X/ours\n", "x.txt:6: want # bar: LABEL | OURS | THEIRS"},
		{"BenchmarkX/theirs-8   3  100 ns/op  40 ns/task\n", ""},
		{"# unit: ns/task\n=# unit: B/op\n", "no run of X/ours reports B/op"},
		{"30 ns/task\n=3x ns/task\n", `x.txt:9: "3x" is not a number`},
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

// TestSVGDeterministic checks that a chart is the same bytes every time it
// is drawn, which the book's stale-figure check relies on, and that it
// shows its title, labels and machine.
func TestSVGDeterministic(t *testing.T) {
	d, err := Parse("x.txt", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	a, err := d.SVG()
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.SVG()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two drawings of one data file differ")
	}
	for _, want := range []string{"<svg", ">T<", ">spawn<", ">ours<", ">theirs<", "Test CPU", "median of 3 runs"} {
		if !bytes.Contains(a, []byte(want)) {
			t.Errorf("the SVG does not contain %q", want)
		}
	}
}
