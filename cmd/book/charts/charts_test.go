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

// sample is figure's test data file: two series over three and two runs.
var sample = func() string {
	b, err := os.ReadFile("../figure/testdata/sample.txt")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// drawnAlike draws the data file twice, fails unless the two drawings are
// the same bytes, reports each of wants the SVG does not contain, and
// returns the SVG.
func drawnAlike(t *testing.T, name, data string, wants ...string) []byte {
	t.Helper()
	a, err := chart(name, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	b, err := chart(name, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two drawings of one data file differ")
	}
	for _, want := range wants {
		if !bytes.Contains(a, []byte(want)) {
			t.Errorf("the SVG does not contain %q", want)
		}
	}
	return a
}

// TestChartDeterministic checks that a chart is the same bytes every time
// it is drawn, which TestFiguresCurrent relies on, that it shows its title,
// labels and machine, and that it carries its data file's stamp.
func TestChartDeterministic(t *testing.T) {
	a := drawnAlike(t, "x.txt", sample, "<svg", ">T<", ">spawn<", ">ours<", ">theirs<", "Test CPU", "median of 3 runs")
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

const histSample = `# command: ch06-echo -load -hist
# machine: Test CPU
# kind: histogram
# upto: 0.9
# title: H
# axis: µs per round trip
# values: round trips
latency         p50 1.50µs
bucket          1.00µs 2.00µs 6
bucket          2.00µs 4.00µs 3
bucket          8.00µs 16.0µs 1
`

// TestHistogramChart checks the histogram kind: drawn the same every
// time, with its title, axis, machine and the share of the tail it
// leaves out (one round trip in ten, past the 0.9 quantile), and bars
// whose heights are each bucket's share per µs, so that a wide bucket
// is not drawn taller for its width alone.
func TestHistogramChart(t *testing.T) {
	drawnAlike(t, "h.txt", histSample, ">H<", ">µs per round trip<", ">Test CPU<", "the slowest 10%, up to 16 µs", ">% of round trips per µs<")
	d, err := figure.Parse("h.txt", []byte(histSample))
	if err != nil {
		t.Fatal(err)
	}
	bins := histogramBins(d, 0.9)
	want := []float64{60, 15} // 60% in 1 µs; 30% over 2 µs
	if len(bins) != len(want) {
		t.Fatalf("%d bars, want %d: %+v", len(bins), len(want), bins)
	}
	for i, b := range bins {
		if b.Weight != want[i] {
			t.Errorf("bar %d: %v%% per µs, want %v", i, b.Weight, want[i])
		}
	}
}
