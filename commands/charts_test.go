package commands

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"sync"
	"testing"
)

// decodeChart decodes a chart's PNG.
func decodeChart(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("chart png: %v", err)
	}
	return img
}

// colourCounts counts the pixels of exactly each of chartColors, and the
// dark pixels (text, at least) of the image.
func colourCounts(img image.Image) (series []int, dark int) {
	series = make([]int, len(chartColors))
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			for i, want := range chartColors {
				if c == want {
					series[i]++
				}
			}
			if int(c.R)+int(c.G)+int(c.B) < 3*0x60 {
				dark++
			}
		}
	}
	return series, dark
}

// leftmost is the smallest x of a pixel of colour want, or -1.
func leftmost(img image.Image, want color.RGBA) int {
	b := img.Bounds()
	for x := b.Min.X; x < b.Max.X; x++ {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			if color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) == want {
				return x
			}
		}
	}
	return -1
}

func chapterNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("Chapter %d", i+1)
	}
	return out
}

func TestBarChart(t *testing.T) {
	t.Run("SizeFollowsRows", func(t *testing.T) {
		for _, nSeries := range []int{1, 3} {
			prev := 0
			for _, rows := range []int{1, 2, 7, 25} {
				series := make([]chartSeries, nSeries)
				for i := range series {
					series[i] = chartSeries{Label: fmt.Sprintf("S%d", i), Values: make([]float64, rows)}
					for j := range series[i].Values {
						series[i].Values[j] = float64(10 + j + i)
					}
				}
				data, err := barChart("Title", "People", chapterNames(rows), series)
				if err != nil {
					t.Fatalf("%d series × %d rows: %v", nSeries, rows, err)
				}
				b := decodeChart(t, data).Bounds()
				// 6 inches at 96 DPI; 90 points plus a row of the series'
				// bars and 8 points per chapter.
				rowPt := float64(4+12*nSeries) + 8
				wantH := int(math.Round((90 + float64(rows)*rowPt) * chartDPI / 72))
				if b.Dx() != 6*chartDPI || b.Dy() != wantH {
					t.Errorf("%d series × %d rows: %dx%d, want %dx%d", nSeries, rows, b.Dx(), b.Dy(), 6*chartDPI, wantH)
				}
				if b.Dy() <= prev {
					t.Errorf("%d series × %d rows: height %d not above %d for fewer rows", nSeries, rows, b.Dy(), prev)
				}
				prev = b.Dy()
			}
		}
	})

	t.Run("EverySeriesColourDrawn", func(t *testing.T) {
		data, err := barChart("Día de acción: por sección", "Personas", []string{"San José", "Bogotá", "Nueva York"}, []chartSeries{
			{Label: "Van", Values: []float64{12, 40, 3}},
			{Label: "Llegaron", Values: []float64{9, 31, 0}},
			{Label: "Asistencia (estimada)", Values: []float64{15, 120, 0}},
		})
		if err != nil {
			t.Fatal(err)
		}
		counts, dark := colourCounts(decodeChart(t, data))
		for i, n := range counts {
			// A bar is at least a few pixels tall and wide.
			if n < 50 {
				t.Errorf("series %d colour %v: %d pixels", i, chartColors[i], n)
			}
		}
		if dark < 500 {
			t.Errorf("%d dark pixels: the text is missing", dark)
		}
		// The bars are drawn to scale: the crowd's 120 is the longest.
		if counts[2] <= counts[0] || counts[0] <= counts[1] {
			t.Errorf("bar areas %v do not follow the totals 55, 40, 135", counts)
		}
	})

	t.Run("OneSeriesHasNoLegend", func(t *testing.T) {
		data, err := barChart("Going", "Going", chapterNames(3), []chartSeries{{Label: "Going", Values: []float64{5, 0, 9}}})
		if err != nil {
			t.Fatal(err)
		}
		counts, _ := colourCounts(decodeChart(t, data))
		if counts[0] == 0 || counts[1] != 0 || counts[2] != 0 {
			t.Errorf("one series drew colours %v, want only the first", counts)
		}
	})

	t.Run("AllZero", func(t *testing.T) {
		// No bars: a single series draws no series colour at all, and
		// three series draw only their legend's swatches.
		for _, series := range [][]chartSeries{
			{{Label: "Going", Values: []float64{0, 0}}},
			{{Label: "Going", Values: []float64{0, 0}}, {Label: "Checked in", Values: []float64{0, 0}}, {Label: "Crowd", Values: []float64{0, 0}}},
		} {
			data, err := barChart("Nobody yet", "Going", []string{"Austin", "Dallas"}, series)
			if err != nil {
				t.Fatalf("%d series: %v", len(series), err)
			}
			img := decodeChart(t, data)
			counts, dark := colourCounts(img)
			if dark < 200 {
				t.Errorf("%d series: %d dark pixels, the title, labels and axis are missing", len(series), dark)
			}
			for i, n := range counts {
				legend := len(series) > 1 && i < len(series)
				if legend && (n == 0 || n > 200) {
					t.Errorf("%d series: colour %d has %d pixels, want a legend swatch", len(series), i, n)
				}
				if !legend && n != 0 {
					t.Errorf("%d series: colour %d has %d pixels, want none", len(series), i, n)
				}
			}
		}
	})

	t.Run("LongNamesLeaveRoomForBars", func(t *testing.T) {
		long := strings.Repeat("Ciudad de México — Coyoacán ", 8)
		short, err := barChart("T", "A", []string{"Austin", "Waco"}, []chartSeries{{Label: "Going", Values: []float64{4, 2}}})
		if err != nil {
			t.Fatal(err)
		}
		longer, err := barChart("T", "A", []string{long, "Waco"}, []chartSeries{{Label: "Going", Values: []float64{4, 2}}})
		if err != nil {
			t.Fatal(err)
		}
		s, l := leftmost(decodeChart(t, short), chartColors[0]), leftmost(decodeChart(t, longer), chartColors[0])
		// The labels' column is at most 40% of the width inside the margins.
		if s < 0 || l < 0 || l <= s || float64(l) > 0.45*6*chartDPI {
			t.Errorf("bars start at x=%d with short names and x=%d with a long one (width %d)", s, l, 6*chartDPI)
		}
	})

	t.Run("BadInput", func(t *testing.T) {
		if _, err := barChart("T", "A", []string{"a", "b"}, []chartSeries{{Label: "Going", Values: []float64{1, 2}}, {Label: "In", Values: []float64{1}}}); err == nil {
			t.Error("a series with 1 value for 2 rows drew a chart")
		}
		if _, err := barChart("T", "A", []string{"a"}, nil); err == nil {
			t.Error("a chart without series drew")
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		// The summary of several servers may draw at once; the typeface is
		// parsed once and shared.
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = barChart("T", "A", chapterNames(i+1), []chartSeries{{Label: "Going", Values: make([]float64, i+1)}})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("chart %d: %v", i, err)
			}
		}
	})
}

func TestFitText(t *testing.T) {
	f, err := chartFace(chartLabelSize)
	if err != nil {
		t.Fatal(err)
	}
	if got := fitText(f, "Bogotá", 200); got != "Bogotá" {
		t.Errorf("a short name became %q", got)
	}
	long := "Ciudad de México — Coyoacán y Benito Juárez del Norte"
	got := fitText(f, long, 100)
	if !strings.HasSuffix(got, "…") || !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) || f.Width(got) > 100 {
		t.Errorf("fitted %q to %q, %v points wide", long, got, f.Width(got))
	}
	// One more letter would not have fitted.
	runes := []rune(long)
	for n := len([]rune(got)); n <= len(runes); n++ {
		next := strings.TrimRight(string(runes[:n]), " ") + "…"
		if next == got {
			continue
		}
		if f.Width(next) <= 100 {
			t.Errorf("%q fits in 100 points but %q was chosen", next, got)
		}
		break
	}
	if got := fitText(f, long, 1); got != "…" {
		t.Errorf("nothing fits, got %q", got)
	}
}

func TestWholeTicks(t *testing.T) {
	for _, hi := range []float64{1, 3, 8, 9, 17, 108, 450, 4354, 123456} {
		ticks := wholeTicks(0, hi)
		if len(ticks) < 2 || len(ticks) > 9 || ticks[0].Value != 0 || ticks[0].Label != "0" {
			t.Fatalf("ticks to %v: %v", hi, ticks)
		}
		step := ticks[1].Value
		// 1, 2 or 5 times a power of ten.
		mant := step / math.Pow(10, math.Floor(math.Log10(step)))
		if mant != 1 && mant != 2 && mant != 5 {
			t.Errorf("ticks to %v step by %v", hi, step)
		}
		for i, tk := range ticks {
			if tk.Value != float64(i)*step || tk.Value > hi || tk.Label != fmt.Sprintf("%d", int(tk.Value)) {
				t.Errorf("ticks to %v: mark %d is %+v", hi, i, tk)
			}
		}
		if last := ticks[len(ticks)-1].Value; last+step <= hi {
			t.Errorf("ticks to %v stop at %v", hi, last)
		}
	}
	if got := wholeTicks(0, 108); len(got) != 6 || got[5].Value != 100 {
		t.Errorf("ticks to 108: %v, want 0, 20 … 100", got)
	}
}
