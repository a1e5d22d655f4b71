// Package figure draws the book's benchmark charts.
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
//	# bar: spawn + run | SpawnRun/executor | SpawnRun/goroutines
//
// Each `bar` line is one pair of bars: a label, the benchmark of this
// book's runtime and the benchmark of what Go ships (names without the
// Benchmark prefix and the -GOMAXPROCS suffix). A bar's height is the
// median of the runs of its benchmark in unit; its whisker spans the
// fastest and the slowest run.
//
// Drawing is deterministic: the same data file gives the same SVG bytes, so
// a test can redraw a chart in memory and compare it with the committed one.
package figure

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// A Data is a parsed data file.
type Data struct {
	Name    string            // the file's name, for messages
	Header  map[string]string // the header's single-valued keys
	Bars    []Bar             // the header's bar lines, in order
	Results map[string][]float64
	// Results maps "NAME UNIT" (NAME without Benchmark and -N) to every
	// value the runs reported in that unit, in file order.
	HeaderLines []string // the header, as written
	Body        []string // the lines after the header
}

// A Bar is one compared pair: this book's benchmark and Go's.
type Bar struct {
	Label, Ours, Theirs string
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
	unit := d.Header["unit"]
	for _, b := range d.Bars {
		for _, bench := range []string{b.Ours, b.Theirs} {
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
		if key == "bar" {
			f := strings.Split(value, "|")
			if len(f) != 3 {
				return nil, fmt.Errorf("%s:%d: want # bar: LABEL | OURS | THEIRS", name, i+1)
			}
			d.Bars = append(d.Bars, Bar{strings.TrimSpace(f[0]), strings.TrimSpace(f[1]), strings.TrimSpace(f[2])})
			continue
		}
		d.Header[key] = value
	}
	for _, k := range required {
		if d.Header[k] == "" {
			return nil, fmt.Errorf("%s:1: the header has no # %s: line", name, k)
		}
	}
	if len(d.Bars) == 0 {
		return nil, fmt.Errorf("%s:1: the header has no # bar: line", name)
	}
	d.Body = lines[i:]
	for j, l := range d.Body {
		f := strings.Fields(l)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		bench := strings.TrimPrefix(f[0], "Benchmark")
		if k := strings.LastIndexByte(bench, '-'); k >= 0 {
			if _, err := strconv.Atoi(bench[k+1:]); err == nil {
				bench = bench[:k]
			}
		}
		for k := 2; k+1 < len(f); k += 2 {
			v, err := strconv.ParseFloat(f[k], 64)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %q is not a number", name, i+j+1, f[k])
			}
			key := bench + " " + f[k+1]
			d.Results[key] = append(d.Results[key], v)
		}
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

// cpu returns the cpu: line of the go test output, if any.
func (d *Data) cpu() string {
	for _, l := range d.Body {
		if c, ok := strings.CutPrefix(l, "cpu: "); ok {
			return strings.TrimSpace(c)
		}
	}
	return ""
}

// The colours of the two series: this book's runtime, and Go's own.
var (
	oursColor   = color.RGBA{R: 0x1f, G: 0x6f, B: 0xb4, A: 0xff}
	theirsColor = color.RGBA{R: 0xe0, G: 0x8a, B: 0x1e, A: 0xff}
)

// sans is the typeface of every label: Liberation Sans, which gonum/plot
// embeds, so the layout does not depend on the fonts of the machine.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// SVG draws the chart of d.
func (d *Data) SVG() ([]byte, error) {
	p := plot.New()
	p.Title.Text = d.Header["title"]
	p.Title.TextStyle.Font = font.From(sans, 13)
	machine := d.Header["machine"]
	if machine == "" {
		machine = d.cpu()
	}
	runs := d.Runs(d.Bars[0].Ours)
	p.X.Label.Text = fmt.Sprintf("%s; bar: median of %d runs, whisker: fastest to slowest", machine, runs)
	p.Y.Label.Text = d.Header["unit"]
	for _, ts := range []*draw.TextStyle{&p.X.Label.TextStyle, &p.Y.Label.TextStyle, &p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		ts.Font = font.From(sans, 10)
	}
	p.X.Label.TextStyle.Font = font.From(sans, 8)
	p.Legend.Top = true
	p.Legend.Left = true
	p.Y.Min = 0

	const barWidth = vg.Length(34)
	var labels []string
	var ours, theirs plotter.Values
	var whiskers []whisker
	top := 0.0
	for i, b := range d.Bars {
		labels = append(labels, b.Label)
		for k, bench := range []string{b.Ours, b.Theirs} {
			m, lo, hi := d.Stats(bench)
			if k == 0 {
				ours = append(ours, m)
			} else {
				theirs = append(theirs, m)
			}
			off := barWidth / 2
			if k == 0 {
				off = -off
			}
			whiskers = append(whiskers, whisker{x: float64(i), offset: off, lo: lo, hi: hi})
			top = math.Max(top, hi)
		}
	}
	for k, vs := range []plotter.Values{ours, theirs} {
		bars, err := plotter.NewBarChart(vs, barWidth)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", d.Name, err)
		}
		bars.LineStyle.Width = 0
		if k == 0 {
			bars.Color, bars.Offset = oursColor, -barWidth/2
			p.Legend.Add(d.Header["ours"], bars)
		} else {
			bars.Color, bars.Offset = theirsColor, barWidth/2
			p.Legend.Add(d.Header["theirs"], bars)
		}
		p.Add(bars)
	}
	p.Add(whiskerSet(whiskers))
	p.Y.Max = top * 1.4 // room for the legend above the tallest whisker
	p.Y.Tick.Marker = plainTicks{}
	p.X.Min, p.X.Max = -0.6, float64(len(d.Bars))-0.4
	p.NominalX(labels...)
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil // a line through every pair of bars says nothing
	p.Add(grid)

	c := vgsvg.NewWith(vgsvg.UseWH(16*vg.Centimeter, 9*vg.Centimeter))
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	p.Draw(dc)
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("%s: %v", d.Name, err)
	}
	return buf.Bytes(), nil
}

// plainTicks are plot.DefaultTicks labelled as plainly as they can be:
// 2500, not 2500.00.
type plainTicks struct{}

// Ticks implements plot.Ticker.
func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'f', -1, 64)
		}
	}
	return ticks
}

// A whisker spans the fastest and slowest run of one bar.
type whisker struct {
	x      float64   // the bar's category
	offset vg.Length // the bar's offset from its category
	lo, hi float64
}

// whiskerSet draws whiskers over bars that are offset from their category,
// which plotter.YErrorBars, placed in data units, cannot follow.
type whiskerSet []whisker

// Plot implements plot.Plotter.
func (ws whiskerSet) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	ls := draw.LineStyle{Color: color.Black, Width: vg.Points(1)}
	const capw = vg.Length(5)
	for _, w := range ws {
		x := trX(w.x) + w.offset
		lo, hi := trY(w.lo), trY(w.hi)
		c.StrokeLine2(ls, x, lo, x, hi)
		c.StrokeLine2(ls, x-capw, lo, x+capw, lo)
		c.StrokeLine2(ls, x-capw, hi, x+capw, hi)
	}
}

// DataRange implements plot.DataRanger.
func (ws whiskerSet) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), 0
	xmax, ymax = math.Inf(-1), 0
	for _, w := range ws {
		xmin, xmax = math.Min(xmin, w.x), math.Max(xmax, w.x)
		ymax = math.Max(ymax, w.hi)
	}
	return xmin, xmax, ymin, ymax
}
