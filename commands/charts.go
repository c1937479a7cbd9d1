package commands

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Charts drawn for the summary and a day of action's recap: horizontal bars,
// one row per chapter, in the reader's language. They show counts by
// chapter, never a member. gonum's fonts (Liberation) are compiled in, so
// nothing is read from the system.

const pngContentType = "image/png"

// chartSeries is one set of bars: its legend label and a value per row.
type chartSeries struct {
	Label  string
	Values []float64
}

// chartColors are the bars' colours, in series order: readable on white
// and apart for colour-blind readers (Okabe–Ito).
var chartColors = []color.RGBA{
	{R: 0x00, G: 0x72, B: 0xB2, A: 0xFF},
	{R: 0xE6, G: 0x9F, B: 0x00, A: 0xFF},
	{R: 0x00, G: 0x9E, B: 0x73, A: 0xFF},
}

// chartDPI keeps the picture sharp on a phone and the file small.
const chartDPI = 96

// barChart draws rows × series as horizontal bars and returns the PNG.
func barChart(title, axis string, rows []string, series []chartSeries) ([]byte, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = axis
	p.X.Min = 0
	top := 0.0
	for _, s := range series {
		for _, v := range s.Values {
			top = max(top, v)
		}
	}
	// Room after the longest bar; an all-zero chart still has an axis.
	p.X.Max = max(1, top*1.08)
	if len(series) > 1 {
		p.X.Max = max(1, top*1.4) // the legend sits at the top right
	}
	p.X.Tick.Marker = plot.TickerFunc(wholeTicks)
	rowHeight := vg.Points(float64(4 + 12*len(series)))
	barWidth := rowHeight / vg.Length(len(series))
	for i, s := range series {
		if len(s.Values) != len(rows) {
			return nil, fmt.Errorf("chart series %q has %d values for %d rows", s.Label, len(s.Values), len(rows))
		}
		// The first row at the top, as in the text: the axis counts up.
		values := make(plotter.Values, len(s.Values))
		for j, v := range s.Values {
			values[len(values)-1-j] = v
		}
		bars, err := plotter.NewBarChart(values, barWidth)
		if err != nil {
			return nil, err
		}
		bars.Horizontal = true
		bars.LineStyle.Width = 0
		bars.Color = chartColors[i%len(chartColors)]
		// Series side by side within a row, the first on top.
		bars.Offset = (vg.Length(len(series)-1)/2 - vg.Length(i)) * barWidth
		p.Add(bars)
		if len(series) > 1 {
			p.Legend.Add(s.Label, bars)
		}
	}
	p.Legend.Top = true
	p.NominalY(reversed(rows)...)
	width := vg.Inch * 6
	height := vg.Points(90) + vg.Points(float64(len(rows))*float64(rowHeight+8))
	canvas := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(chartDPI))
	p.Draw(draw.New(canvas))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: canvas}).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("chart png: %w", err)
	}
	return b.Bytes(), nil
}

// wholeTicks marks the count axis at whole numbers only.
func wholeTicks(lo, hi float64) []plot.Tick {
	step := 1.0
	// 1, 2, 5, 10, 20, 50 … until at most eight marks.
	for n := 0; (hi-lo)/step > 8; n++ {
		step = []float64{2, 5, 10}[n%3] * math.Pow(10, float64(n/3))
	}
	var out []plot.Tick
	for v := 0.0; v <= hi; v += step {
		if v >= lo {
			out = append(out, plot.Tick{Value: v, Label: fmt.Sprintf("%.0f", v)})
		}
	}
	return out
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}
