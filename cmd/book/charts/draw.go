package main

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"github.com/asyncbook/asyncbook/cmd/book/figure"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The colours of the two series: this book's runtime, and Go's own.
var (
	oursColor   = color.RGBA{R: 0x1f, G: 0x6f, B: 0xb4, A: 0xff}
	theirsColor = color.RGBA{R: 0xe0, G: 0x8a, B: 0x1e, A: 0xff}
)

// sans is the typeface of every label: Liberation Sans, which gonum/plot
// embeds, so the layout does not depend on the fonts of the machine.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// drawSVG draws the chart of d, without its stamp.
func drawSVG(d *figure.Data) ([]byte, error) {
	p := plot.New()
	p.Title.Text = d.Header["title"]
	p.Title.TextStyle.Font = font.From(sans, 13)
	machine := d.Header["machine"]
	if machine == "" {
		machine = d.CPU()
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
