package commands

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"strings"
	"sync"

	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"golang.org/x/image/font/opentype"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"
)

// Charts drawn for the summary and a day of action's recap: horizontal bars,
// one row per chapter, in the reader's language. They show counts by
// chapter, never a member. The typeface (Liberation Sans) is compiled in,
// so nothing is read from the system.
//
// Only gonum's drawing layer (vg, vgimg, font) is used, not the plot and
// plotter packages: their init registers twelve Liberation fonts and they
// link the PDF, SVG, EPS and TeX back ends, about 6 MB of executable that
// is resident once the bot runs (see BENCHMARKS.md). One face, regular,
// draws every word here; it is parsed on the first chart, not at start.

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

var (
	chartInk  = color.RGBA{R: 0x22, G: 0x22, B: 0x22, A: 0xFF} // text
	chartAxis = color.RGBA{R: 0x77, G: 0x77, B: 0x77, A: 0xFF} // axis lines and ticks
	chartGrid = color.RGBA{R: 0xE4, G: 0xE4, B: 0xE4, A: 0xFF} // lines behind the bars at each tick
)

// chartDPI keeps the picture sharp on a phone and the file small.
const chartDPI = 96

// Type sizes and spacing, in points.
const (
	chartPad       = vg.Length(8)
	chartTitleSize = vg.Length(13)
	chartLabelSize = vg.Length(10)
	chartTickSize  = vg.Length(9)
	chartValueSize = vg.Length(8)
	chartTickLen   = vg.Length(4)
	chartGap       = vg.Length(4)
)

// chartTypeface is Liberation Sans Regular, parsed once on first use.
var chartTypeface struct {
	once sync.Once
	font *opentype.Font
	err  error
}

// chartFace returns the chart's typeface at size.
func chartFace(size vg.Length) (font.Face, error) {
	chartTypeface.once.Do(func() {
		chartTypeface.font, chartTypeface.err = opentype.Parse(liberationsansregular.TTF)
	})
	if chartTypeface.err != nil {
		return font.Face{}, fmt.Errorf("chart font: %w", chartTypeface.err)
	}
	return font.Face{Font: font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}, Face: chartTypeface.font}, nil
}

// barChart draws rows × series as horizontal bars and returns the PNG: the
// title, a legend at the top right when there is more than one series, a
// row per chapter (the first at the top) with its series side by side and
// each bar's count at its end, and the count axis from 0 below.
func barChart(title, axis string, rows []string, series []chartSeries) ([]byte, error) {
	if len(series) == 0 {
		return nil, errors.New("chart has no series")
	}
	for _, s := range series {
		if len(s.Values) != len(rows) {
			return nil, fmt.Errorf("chart series %q has %d values for %d rows", s.Label, len(s.Values), len(rows))
		}
	}
	var faces [4]font.Face
	for i, size := range []vg.Length{chartTitleSize, chartLabelSize, chartTickSize, chartValueSize} {
		f, err := chartFace(size)
		if err != nil {
			return nil, err
		}
		faces[i] = f
	}
	titleFace, labelFace, tickFace, valueFace := faces[0], faces[1], faces[2], faces[3]

	rowHeight := vg.Points(float64(4 + 12*len(series)))
	width := vg.Inch * 6
	height := vg.Points(90) + vg.Points(float64(len(rows))*float64(rowHeight+8))
	c := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(chartDPI))
	left, right := chartPad, width-chartPad

	// The title, centred at the top.
	top := height - chartPad
	t := fitText(titleFace, title, right-left)
	drawText(c, titleFace, chartInk, (left+right-titleFace.Width(t))/2, top-titleFace.Extents().Ascent, t)
	top -= titleFace.Extents().Height + chartGap

	// The legend, one line right-aligned under the title.
	if len(series) > 1 {
		top -= legend(c, labelFace, series, left, right, top) + chartGap
	}

	// From the bottom up: the axis label, the tick labels, the ticks.
	bottom := chartPad
	axisBaseline := bottom + labelFace.Extents().Descent
	bottom += labelFace.Extents().Height + 2
	tickBaseline := bottom + tickFace.Extents().Descent
	bottom += tickFace.Extents().Height + 2
	axisY := snap(bottom + chartTickLen)

	// The row labels take what the longest needs, at most 40% of the
	// width; longer names end in "…".
	labelW := vg.Length(0)
	for _, r := range rows {
		labelW = max(labelW, labelFace.Width(r))
	}
	labelW = min(labelW, (right-left)*0.4)
	x0 := snap(left + labelW + 6)
	plotW := right - x0

	// The scale leaves room after the longest bar for its count; an
	// all-zero chart still has an axis up to 1.
	hi := 0.0
	for _, s := range series {
		for _, v := range s.Values {
			hi = max(hi, v)
		}
	}
	perUnit := float64(plotW) / max(1, hi*1.08)
	for _, s := range series {
		for _, v := range s.Values {
			if v > 0 {
				room := float64(plotW - chartGap - valueFace.Width(countLabel(v)))
				perUnit = min(perUnit, room/v)
			}
		}
	}
	xmax := float64(plotW) / perUnit
	xAt := func(v float64) vg.Length { return x0 + vg.Length(v*perUnit) }

	// Grid and ticks, then the axes.
	for _, tk := range wholeTicks(0, xmax) {
		x := snap(xAt(tk.Value))
		if tk.Value > 0 {
			line(c, chartGrid, 0.75, vg.Point{X: x, Y: axisY}, vg.Point{X: x, Y: top})
		}
		line(c, chartAxis, 0.75, vg.Point{X: x, Y: axisY}, vg.Point{X: x, Y: axisY - chartTickLen})
		drawText(c, tickFace, chartInk, x-tickFace.Width(tk.Label)/2, tickBaseline, tk.Label)
	}
	line(c, chartAxis, 0.75, vg.Point{X: x0, Y: axisY}, vg.Point{X: right, Y: axisY})
	line(c, chartAxis, 0.75, vg.Point{X: x0, Y: axisY}, vg.Point{X: x0, Y: top})
	a := fitText(labelFace, axis, plotW)
	drawText(c, labelFace, chartInk, x0+(plotW-labelFace.Width(a))/2, axisBaseline, a)

	// The rows, the first at the top; within a row the series side by
	// side, the first on top.
	if len(rows) > 0 {
		band := (top - axisY) / vg.Length(len(rows))
		barW := rowHeight / vg.Length(len(series))
		inset := vg.Length(0)
		if len(series) > 1 {
			inset = 0.75 // a hairline of white between a row's bars
		}
		for j, r := range rows {
			mid := top - band*(vg.Length(j)+0.5)
			l := fitText(labelFace, r, labelW)
			drawText(c, labelFace, chartInk, x0-6-labelFace.Width(l), mid-capHeight(labelFace)/2, l)
			for i, s := range series {
				y1 := mid + rowHeight/2 - barW*vg.Length(i)
				y0 := y1 - barW + inset
				x1 := xAt(s.Values[j])
				if s.Values[j] > 0 {
					c.SetColor(chartColors[i%len(chartColors)])
					c.Fill(vg.Rectangle{Min: vg.Point{X: x0, Y: snap(y0)}, Max: vg.Point{X: snap(x1), Y: snap(y1)}}.Path())
				}
				v := countLabel(s.Values[j])
				drawText(c, valueFace, chartInk, x1+chartGap, (y0+y1)/2-capHeight(valueFace)/2, v)
			}
		}
	}

	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("chart png: %w", err)
	}
	return b.Bytes(), nil
}

// legend draws a swatch and label per series on one line ending at right,
// its top at top, and returns its height. Labels are shortened when the
// line would not fit between left and right.
func legend(c vg.Canvas, f font.Face, series []chartSeries, left, right, top vg.Length) vg.Length {
	swatch := capHeight(f) + 2
	const between = 12
	labels := make([]string, len(series))
	total := vg.Length(0)
	for i, s := range series {
		labels[i] = s.Label
		total += swatch + chartGap + f.Width(s.Label) + between
	}
	total -= between
	if total > right-left {
		each := (right-left)/vg.Length(len(series)) - swatch - chartGap - between
		total = -between
		for i := range labels {
			labels[i] = fitText(f, labels[i], each)
			total += swatch + chartGap + f.Width(labels[i]) + between
		}
	}
	baseline := top - f.Extents().Ascent
	x := right - total
	for i, l := range labels {
		c.SetColor(chartColors[i%len(chartColors)])
		c.Fill(vg.Rectangle{Min: vg.Point{X: snap(x), Y: snap(baseline - 1)}, Max: vg.Point{X: snap(x + swatch), Y: snap(baseline - 1 + swatch)}}.Path())
		x += swatch + chartGap
		drawText(c, f, chartInk, x, baseline, l)
		x += f.Width(l) + between
	}
	return f.Extents().Height
}

// drawText draws s with its baseline's left end at (x, y).
func drawText(c vg.Canvas, f font.Face, col color.Color, x, y vg.Length, s string) {
	if s == "" {
		return
	}
	c.SetColor(col)
	c.FillString(f, vg.Point{X: x, Y: y}, s)
}

// line strokes a straight line from a to b.
func line(c vg.Canvas, col color.Color, w vg.Length, a, b vg.Point) {
	var p vg.Path
	p.Move(a)
	p.Line(b)
	c.SetColor(col)
	c.SetLineWidth(w)
	c.Stroke(p)
}

// capHeight is about the height of a capital letter or a digit, to centre
// a line of text on a bar or a row.
func capHeight(f font.Face) vg.Length { return f.Font.Size * 0.72 }

// snap puts a length on the pixel grid at chartDPI, so that bars and
// lines have sharp edges.
func snap(l vg.Length) vg.Length {
	px := vg.Inch / chartDPI
	return vg.Length(math.Round(float64(l/px))) * px
}

// fitText returns s, or its longest start that fits in w followed by "…".
func fitText(f font.Face, s string, w vg.Length) string {
	if f.Width(s) <= w {
		return s
	}
	r := []rune(s)
	// The widest prefix that fits, by bisection: width grows with length.
	lo, hi := 0, len(r)
	for lo < hi {
		m := (lo + hi + 1) / 2
		if f.Width(strings.TrimRight(string(r[:m]), " ")+"…") <= w {
			lo = m
		} else {
			hi = m - 1
		}
	}
	if lo == 0 {
		return "…"
	}
	return strings.TrimRight(string(r[:lo]), " ") + "…"
}

// countLabel writes a count as a whole number.
func countLabel(v float64) string { return fmt.Sprintf("%.0f", v) }

// chartTick is a mark on the count axis.
type chartTick struct {
	Value float64
	Label string
}

// wholeTicks marks the count axis at whole numbers only.
func wholeTicks(lo, hi float64) []chartTick {
	step := 1.0
	// 1, 2, 5, 10, 20, 50 … until at most eight marks.
	for n := 0; (hi-lo)/step > 8; n++ {
		step = []float64{2, 5, 10}[n%3] * math.Pow(10, float64(n/3))
	}
	var out []chartTick
	for v := 0.0; v <= hi; v += step {
		if v >= lo {
			out = append(out, chartTick{Value: v, Label: countLabel(v)})
		}
	}
	return out
}
