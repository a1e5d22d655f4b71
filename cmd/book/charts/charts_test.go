package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/asyncbook/asyncbook/cmd/book/figure"
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

// TestChartDeterministic checks that a chart is the same bytes every time
// it is drawn, which TestFiguresCurrent relies on, that it shows its title,
// labels and machine, and that it carries its data file's stamp.
func TestChartDeterministic(t *testing.T) {
	a, err := chart("x.txt", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	b, err := chart("x.txt", []byte(sample))
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
	if !figure.Current(a, "x.txt", []byte(sample)) {
		t.Error("the chart does not carry its data file's stamp")
	}
}

// TestFiguresCurrent redraws every chart of the book in memory and checks
// that the committed SVG is the same bytes: a chart redrawn from other
// data, or drawn by other code, fails here. (The renderer checks only the
// stamp, so that it need not compile the plotting library.)
func TestFiguresCurrent(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "book", "figures", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no data files in book/figures")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want, err := chart(filepath.Base(f), data)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		svg := strings.TrimSuffix(f, ".txt") + ".svg"
		got, err := os.ReadFile(svg)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what %s draws; run go run ./cmd/book charts", filepath.Base(svg), filepath.Base(f))
		}
	}
}

// TestRunUsage checks the command line: -h prints the usage on stdout, a
// flag it does not know is a usage error.
func TestRunUsage(t *testing.T) {
	if code := run([]string{"-bogus"}); code != 2 {
		t.Errorf("run(-bogus) = %d, want 2", code)
	}
	if code := run([]string{filepath.Join(t.TempDir(), "none.txt")}); code != 1 {
		t.Errorf("run(missing file) = %d, want 1", code)
	}
}

// TestChartsLegible checks every committed chart against the phone-width
// rule: at most 12 cm (340.16 points) wide, so that shown about 360 px
// wide on a 390 px phone no text is scaled down, and no text under 11.5
// points.
func TestChartsLegible(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "book", "figures", "*.svg"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no charts in book/figures: %v", err)
	}
	viewBox := regexp.MustCompile(`viewBox="0 0 ([0-9.]+) [0-9.]+"`)
	fontSize := regexp.MustCompile(`font-size:([0-9.]+)px`)
	for _, f := range files {
		svg, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		m := viewBox.FindSubmatch(svg)
		if m == nil {
			t.Errorf("%s: no viewBox", name)
			continue
		}
		if w, _ := strconv.ParseFloat(string(m[1]), 64); w > 340.2 {
			t.Errorf("%s is %v points wide, want at most 340.16 (12 cm)", name, w)
		}
		for _, m := range fontSize.FindAllSubmatch(svg, -1) {
			if size, _ := strconv.ParseFloat(string(m[1]), 64); size < 11.5 {
				t.Errorf("%s has text of %v points, want 11.5 or more", name, size)
				break
			}
		}
	}
}
