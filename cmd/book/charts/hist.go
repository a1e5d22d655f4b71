package main

import (
	"fmt"
	"strconv"

	"github.com/asyncbook/asyncbook/cmd/book/figure"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// drawHistogram draws the chart of a histogram's data file, without its
// stamp: each bucket a bar as wide as the bucket on a linear axis, as
// tall as its share of the values per unit of the axis, so that buckets
// of different widths compare fairly (the bars' areas add up to 100%).
// The tail past the quantile of the `upto` line (0.999 by default) is
// left out, and the label under the axis says how much and how far it
// reaches.
func drawHistogram(d *figure.Data) ([]byte, error) {
	upto := 0.999
	if u := d.Header["upto"]; u != "" {
		upto, _ = strconv.ParseFloat(u, 64) // Parse checked it
	}
	total := count(d.Buckets)
	if total == 0 {
		return nil, fmt.Errorf("%s: the buckets count nothing", d.Name)
	}
	bins := histogramBins(d, upto)
	left := total - count(d.Buckets[:len(bins)])
	last := d.Buckets[len(d.Buckets)-1].Hi
	unit := d.Header["unit"]
	if unit == "" {
		unit = "µs"
	}

	p := plot.New()
	p.Title.Text = wrap(d.Header["title"], 44)
	p.Title.TextStyle.Font = font.From(sans, titleSize)
	values := d.Header["values"]
	if values == "" {
		values = "values"
	}
	note := fmt.Sprintf("%.0f %s", total, values)
	if left > 0 {
		note = fmt.Sprintf("%.0f %s; the slowest %s, up to %s %s, not shown",
			total, values, percent(left/total), roundValue(last), unit)
	}
	p.X.Label.Text = d.Header["axis"] + "\n" + d.Header["machine"] + "\n" + wrap(note, 50)
	p.Y.Label.Text = "% of " + values + " per " + unit
	for _, ts := range []*draw.TextStyle{&p.X.Label.TextStyle, &p.Y.Label.TextStyle, &p.X.Tick.Label, &p.Y.Tick.Label} {
		ts.Font = font.From(sans, textSize)
	}
	p.X.Label.Padding = vg.Points(6)
	p.X.Tick.Marker = roundTicks{}
	p.Y.Tick.Marker = roundTicks{}
	p.X.Min, p.Y.Min = 0, 0
	p.Add(valueGrid())
	h := &plotter.Histogram{Bins: bins, FillColor: colors[0]}
	h.LineStyle.Width = 0
	p.Add(h)

	return onWhite(d.Name, plotHeight+2*legendRow, p.Draw)
}

// histogramBins returns the bars of d's buckets up to the one that holds
// the upto quantile, each as tall as its bucket's share of the values
// per unit of the axis.
func histogramBins(d *figure.Data, upto float64) []plotter.HistogramBin {
	total := count(d.Buckets)
	var bins []plotter.HistogramBin
	seen := 0.0
	for _, b := range d.Buckets {
		if seen >= upto*total {
			break
		}
		seen += b.Count
		bins = append(bins, plotter.HistogramBin{Min: b.Lo, Max: b.Hi, Weight: 100 * b.Count / total / (b.Hi - b.Lo)})
	}
	return bins
}

// count returns how many values the buckets hold together.
func count(buckets []figure.Bucket) float64 {
	n := 0.0
	for _, b := range buckets {
		n += b.Count
	}
	return n
}

// roundValue formats v with no more digits than a reader needs: whole
// from 10 up, three significant digits below.
func roundValue(v float64) string {
	if v >= 10 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// percent formats a share as a percentage with two significant digits
// or so: 0.1%, 0.012%, 2.5%.
func percent(share float64) string {
	pc := 100 * share
	switch {
	case pc >= 10:
		return fmt.Sprintf("%.0f%%", pc)
	case pc >= 1:
		return fmt.Sprintf("%.1f%%", pc)
	}
	return strconv.FormatFloat(pc, 'g', 2, 64) + "%"
}
