package main

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"github.com/asyncbook/asyncbook/cmd/book/figure"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The colours of the series, in order: this book's runtime, what Go
// ships, then the others a chapter compares.
var colors = []color.RGBA{
	{R: 0x1f, G: 0x6f, B: 0xb4, A: 0xff}, // blue
	{R: 0xe0, G: 0x8a, B: 0x1e, A: 0xff}, // orange
	{R: 0x2e, G: 0x8b, B: 0x57, A: 0xff}, // green
	{R: 0x7b, G: 0x4e, B: 0xa3, A: 0xff}, // purple
	{R: 0x66, G: 0x66, B: 0x66, A: 0xff}, // grey
}

// sans is the typeface of every label: Liberation Sans, which gonum/plot
// embeds, so the layout does not depend on the fonts of the machine.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// The chart's size and type sizes. A chart is shown at the width of the
// text column or less, about 360 px on a 390 px phone: at 340 points wide
// the smallest text, 11.5 points, shows at 12 px there.
const (
	chartWidth  = 12 * vg.Centimeter
	plotHeight  = 9 * vg.Centimeter
	titleSize   = 13
	textSize    = 12
	noteSize    = 11.5
	legendRow   = vg.Length(18)
	legendInset = vg.Length(8)
)

// drawSVG draws the chart of d, without its stamp: a group of bars per
// bar line, a bar per series, whiskers from fastest to slowest run, the
// legend under the plot where no gridline crosses it.
func drawSVG(d *figure.Data) ([]byte, error) {
	if d.IsHistogram() {
		return drawHistogram(d)
	}
	p := plot.New()
	p.Title.Text = wrap(d.Header["title"], 44)
	p.Title.TextStyle.Font = font.From(sans, titleSize)
	machine := d.Header["machine"]
	if machine == "" {
		machine = d.CPU()
	}
	runs := d.Runs(d.Bars[0].Benches[0])
	p.X.Label.Text = fmt.Sprintf("%s\nbars: median of %d runs; whiskers: fastest-slowest", machine, runs)
	if runs == 1 {
		p.X.Label.Text = machine + "\nbars: one run each"
	}
	p.Y.Label.Text = d.Header["axis"]
	if p.Y.Label.Text == "" {
		p.Y.Label.Text = d.Header["unit"]
	}
	legend := plot.NewLegend()
	for _, ts := range []*draw.TextStyle{&p.Y.Label.TextStyle, &p.X.Tick.Label, &p.Y.Tick.Label, &legend.TextStyle} {
		ts.Font = font.From(sans, textSize)
	}
	p.X.Label.TextStyle.Font = font.From(sans, noteSize)
	p.X.Label.Padding = vg.Points(6)
	p.Y.Min = 0

	nSeries, nGroups := len(d.Series), len(d.Bars)
	// About 270 points of the width are the plot's; each group gets its
	// share, four fifths of it bars.
	barWidth := vg.Length(270) / vg.Length(nGroups) * 0.8 / vg.Length(nSeries)
	if barWidth > 34 {
		barWidth = 34
	}
	// offset is how far series k's bar sits from its group's middle.
	offset := func(k int) vg.Length { return (vg.Length(k) - vg.Length(nSeries-1)/2) * barWidth }
	var labels []string
	values := make([]plotter.Values, nSeries)
	var whiskers []whisker
	top := 0.0
	for i, b := range d.Bars {
		labels = append(labels, wrap(b.Label, 11))
		for k, bench := range b.Benches {
			m, lo, hi := d.Stats(bench)
			values[k] = append(values[k], m)
			if lo < hi { // one run, or runs all alike, have no range to show
				whiskers = append(whiskers, whisker{x: float64(i), offset: offset(k), lo: lo, hi: hi})
			}
			top = math.Max(top, hi)
		}
	}
	for k, vs := range values {
		bars, err := plotter.NewBarChart(vs, barWidth)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", d.Name, err)
		}
		bars.LineStyle.Width = 0
		bars.Color = colors[k%len(colors)]
		bars.Offset = offset(k)
		legend.Add(d.Series[k], bars)
		p.Add(bars)
	}
	p.Add(whiskerSet(whiskers))
	p.Y.Max = top * 1.05
	p.Y.Tick.Marker = roundTicks{}
	p.X.Min, p.X.Max = -0.5, float64(nGroups)-0.5
	p.NominalX(labels...)
	p.Add(valueGrid())
	legend.Left = true
	legend.Top = true
	legend.XOffs = legendInset
	legend.Padding = 3

	legendHeight := legendRow*vg.Length(nSeries) + legendInset
	return onWhite(d.Name, plotHeight+legendHeight, func(dc draw.Canvas) {
		p.Draw(draw.Crop(dc, 0, 0, legendHeight, 0))
		legend.Draw(draw.Crop(dc, 0, 0, 0, -plotHeight))
	})
}

// valueGrid returns the gridlines of every chart: across the value axis
// only, since a line through every bar or bucket says nothing.
func valueGrid() *plotter.Grid {
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	grid.Horizontal.Color = color.Gray{Y: 0xdd}
	return grid
}

// onWhite returns the SVG of a chart as wide as every chart and height
// tall, on white, with what paint draws on it; name is the data file's,
// for an error.
func onWhite(name string, height vg.Length, paint func(draw.Canvas)) ([]byte, error) {
	c := vgsvg.NewWith(vgsvg.UseWH(chartWidth, height))
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	paint(dc)
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return buf.Bytes(), nil
}

// wrap breaks s into lines of at most width bytes, at spaces.
func wrap(s string, width int) string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = w
			continue
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return strings.Join(append(lines, line), "\n")
}

// roundTicks label the value axis at four to seven round values (steps of
// 1, 2, 2.5 or 5 times a power of ten), every one labelled plainly: 2500,
// not 2500.00 or 2.5e+03.
type roundTicks struct{}

// Ticks implements plot.Ticker.
func (roundTicks) Ticks(lo, hi float64) []plot.Tick {
	if hi <= lo {
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'f', -1, 64)}}
	}
	raw := (hi - lo) / 5
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	step := pow
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*pow >= raw {
			step = m * pow
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		v = math.Round(v/step) * step
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 12, 64)})
		if step/2 > 0 && v+step/2 <= hi {
			ticks = append(ticks, plot.Tick{Value: v + step/2})
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
