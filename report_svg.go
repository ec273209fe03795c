package usched

// Hand-written SVG for WriteReport's plots: line charts and a heat map.
// Plotting libraries (gonum/plot and its font and image dependencies)
// would enter the go.mod of every program that imports usched, for four
// plots of lines and rectangles; the bench module, which has a go.mod of
// its own, is where such libraries may go.

import (
	"fmt"
	"html"
	"math"
	"strings"
	"time"
)

// point is one point of a line: x in seconds (or log10 seconds for a
// chart with logX), y in the chart's unit.
type point struct{ x, y float64 }

// series is one line of a chart, possibly broken into segments (one per
// runtime: counters restart with a new runtime, so a line does not join
// them).
type series struct {
	name   string
	segs   [][]point
	dashed bool
}

// marker is a vertical line with a label: where a new runtime starts.
type marker struct {
	x     float64
	label string
}

// lineChart is a chart of series over a shared x axis.
type lineChart struct {
	id, title, xLabel, yLabel string
	series                    []series
	markers                   []marker
	// logX says that x values are log10 of seconds: ticks then fall on
	// powers of ten and read as durations.
	logX bool
	// yMax fixes the top of the y axis (a CDF's 1); 0 fits the data.
	yMax float64
}

// Geometry of every line chart, in SVG user units.
const (
	chartW, chartH    = 780, 320
	chartLeft         = 72
	chartRight        = 120 // room for the legend
	chartTop          = 40
	chartBottom       = 48
	plotW, plotH      = chartW - chartLeft - chartRight, chartH - chartTop - chartBottom
	maxMarkedPoints   = 60 // up to this many points a series also gets dots, so that a one-point segment shows
	legendLineSpacing = 16
)

// palette colours series by index; it repeats past its end. Chosen to be
// told apart by most colour-blind readers (Okabe and Ito's set).
var palette = []string{"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442"}

func (c *lineChart) svg(b *strings.Builder) {
	x0, x1, y1 := math.Inf(1), math.Inf(-1), 0.0
	n := 0
	for _, s := range c.series {
		for _, seg := range s.segs {
			for _, p := range seg {
				x0, x1, y1 = min(x0, p.x), max(x1, p.x), max(y1, p.y)
				n++
			}
		}
	}
	for _, m := range c.markers {
		x0, x1 = min(x0, m.x), max(x1, m.x)
	}
	if math.IsInf(x0, 0) {
		x0, x1 = 0, 1
	}
	if x1-x0 < 1e-9 {
		x0, x1 = x0-0.5, x1+0.5
	}
	var yticks []float64
	if c.yMax > 0 {
		y1 = c.yMax
		yticks = niceTicks(0, y1)
	} else {
		if y1 <= 0 {
			y1 = 1
		}
		yticks = niceTicks(0, y1)
		y1 = max(y1, yticks[len(yticks)-1])
	}
	px := func(x float64) float64 { return chartLeft + (x-x0)/(x1-x0)*plotW }
	py := func(y float64) float64 { return chartTop + plotH - y/y1*plotH }

	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" id="%s" class="plot" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n",
		esc(c.id), chartW, chartH, chartW, chartH)
	fmt.Fprintf(b, "<title>%s</title>\n", esc(c.title))
	fmt.Fprintf(b, `<rect width="%d" height="%d" fill="#fff"/>`+"\n", chartW, chartH)
	fmt.Fprintf(b, `<text x="%d" y="20" font-size="14" font-weight="bold">%s</text>`+"\n", chartLeft, esc(c.title))

	// Grid and tick labels.
	for _, y := range yticks {
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e5e5e5"/>`, chartLeft, chartLeft+plotW, py(y), py(y))
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", chartLeft-6, py(y)+4, esc(siFormat(y)))
	}
	for _, xt := range c.xTicks(x0, x1) {
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#e5e5e5"/>`, px(xt.x), px(xt.x), chartTop, chartTop+plotH)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", px(xt.x), chartTop+plotH+16, esc(xt.label))
	}
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>`+"\n", chartLeft, chartTop, plotW, plotH)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", chartLeft+plotW/2, chartH-8, esc(c.xLabel))
	fmt.Fprintf(b, `<text transform="translate(16 %d) rotate(-90)" text-anchor="middle">%s</text>`+"\n", chartTop+plotH/2, esc(c.yLabel))

	for _, m := range c.markers {
		fmt.Fprintf(b, `<g class="marker"><line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#999" stroke-dasharray="2 3"/><text x="%.1f" y="%d" fill="#666">%s</text></g>`+"\n",
			px(m.x), px(m.x), chartTop, chartTop+plotH, px(m.x)+3, chartTop+12, esc(m.label))
	}

	for i, s := range c.series {
		color := palette[i%len(palette)]
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="6 3"`
		}
		fmt.Fprintf(b, `<g class="series" data-series="%s"><title>%s</title>`+"\n", esc(s.name), esc(s.name))
		for _, seg := range s.segs {
			var pts strings.Builder
			for _, p := range seg {
				fmt.Fprintf(&pts, "%.1f,%.1f ", px(p.x), py(p.y))
			}
			fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.6"%s/>`+"\n", strings.TrimSpace(pts.String()), color, dash)
			if n <= maxMarkedPoints {
				for _, p := range seg {
					fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>`, px(p.x), py(p.y), color)
				}
			}
		}
		ly := chartTop + 8 + i*legendLineSpacing
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"%s/><text x="%d" y="%d">%s</text>`+"\n",
			chartLeft+plotW+10, chartLeft+plotW+30, ly, ly, color, dash, chartLeft+plotW+34, ly+4, esc(s.name))
		b.WriteString("</g>\n")
	}
	if n == 0 {
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" fill="#666">no data: fewer than two samples of a runtime</text>`+"\n", chartLeft+plotW/2, chartTop+plotH/2)
	}
	b.WriteString("</svg>\n")
}

// tick is a labelled position on an axis.
type tick struct {
	x     float64
	label string
}

// xTicks returns the x axis' ticks: seconds from the first sample, or,
// with logX, durations at powers of ten.
func (c *lineChart) xTicks(x0, x1 float64) []tick {
	var out []tick
	if c.logX {
		for e := math.Ceil(x0); e <= x1; e++ {
			out = append(out, tick{e, time.Duration(math.Pow(10, e) * 1e9).String()})
		}
		if len(out) >= 2 {
			return out
		}
		out = out[:0]
		for _, x := range niceTicks(x0, x1) {
			out = append(out, tick{x, time.Duration(math.Pow(10, x) * 1e9).Round(time.Nanosecond).String()})
		}
		return out
	}
	for _, x := range niceTicks(x0, x1) {
		if x >= x0-1e-9 && x <= x1+1e-9 {
			out = append(out, tick{x, trimFloat(x) + "s"})
		}
	}
	return out
}

// niceTicks returns about six round values (1, 2 or 5 times a power of
// ten apart) covering lo to hi.
func niceTicks(lo, hi float64) []float64 {
	span := hi - lo
	if span <= 0 {
		return []float64{lo}
	}
	raw := span / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, f := range []float64{1, 2, 5, 10} {
		if f*mag >= raw {
			step = f * mag
			break
		}
	}
	var out []float64
	for v := math.Floor(lo/step) * step; v <= hi+step*0.999; v += step {
		if v >= lo-step*1e-9 {
			out = append(out, math.Round(v/step)*step)
		}
	}
	return out
}

// heatMap is the steal matrix as a grid of cells whose colour says how
// many Gs the column's P stole from the row's P.
type heatMap struct {
	id, title string
	names     []string   // P names, rows and columns alike
	cells     [][]uint64 // cells[victim][thief]
}

func (h *heatMap) svg(b *strings.Builder) {
	n := len(h.names)
	cell := 44
	if n > 10 {
		cell = max(8, 440/n)
	}
	left, top := 90, 70
	w, ht := left+n*cell+40, top+n*cell+50
	var peak uint64
	for v := range h.cells {
		for t, c := range h.cells[v] {
			if v != t {
				peak = max(peak, c)
			}
		}
	}
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" id="%s" class="heatmap" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n",
		esc(h.id), w, ht, w, ht)
	fmt.Fprintf(b, "<title>%s</title>\n", esc(h.title))
	fmt.Fprintf(b, `<rect width="%d" height="%d" fill="#fff"/>`+"\n", w, ht)
	fmt.Fprintf(b, `<text x="10" y="20" font-size="14" font-weight="bold">%s</text>`+"\n", esc(h.title))
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">thief P (steals in)</text>`+"\n", left+n*cell/2, top-28)
	fmt.Fprintf(b, `<text transform="translate(20 %d) rotate(-90)" text-anchor="middle">victim P (steals out)</text>`+"\n", top+n*cell/2)
	for i, name := range h.names {
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`, left+i*cell+cell/2, top-8, esc(name))
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-6, top+i*cell+cell/2+4, esc(name))
	}
	for v := range n {
		for t := range n {
			x, y := left+t*cell, top+v*cell
			if v == t {
				fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#ddd" stroke="#fff"><title>%s does not steal from itself</title></rect>`+"\n",
					x, y, cell, cell, esc(h.names[v]))
				continue
			}
			c := h.cells[v][t]
			fmt.Fprintf(b, `<rect class="cell" data-victim="%s" data-thief="%s" data-gs="%d" x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#fff"><title>%s stole %d Gs from %s</title></rect>`+"\n",
				esc(h.names[v]), esc(h.names[t]), c, x, y, cell, cell, heatColor(c, peak), esc(h.names[t]), c, esc(h.names[v]))
			if cell >= 36 {
				ink := "#000"
				if peak > 0 && math.Sqrt(float64(c)/float64(peak)) > 0.6 {
					ink = "#fff"
				}
				fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" fill="%s">%s</text>`+"\n", x+cell/2, y+cell/2+4, ink, esc(siFormat(float64(c))))
			}
		}
	}
	fmt.Fprintf(b, `<text x="10" y="%d" fill="#666">Gs stolen; darker is more (the busiest cell: %d Gs)</text>`+"\n", ht-14, peak)
	b.WriteString("</svg>\n")
}

// heatColor shades from white (no steals) to dark red (peak). The square
// root spreads the low end: steal counts are skewed, and on a linear
// scale one busy pair of Ps would leave every other cell white.
func heatColor(c, peak uint64) string {
	if peak == 0 || c == 0 {
		return "#ffffff"
	}
	f := math.Sqrt(float64(c) / float64(peak))
	mix := func(from, to float64) int { return int(math.Round(from + (to-from)*f)) }
	return fmt.Sprintf("#%02x%02x%02x", mix(255, 103), mix(255, 0), mix(255, 13))
}

// siFormat writes v with a k/M/G suffix and at most three significant
// digits, for axis labels and cells.
func siFormat(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return trimFloat(v/1e9) + "G"
	case a >= 1e6:
		return trimFloat(v/1e6) + "M"
	case a >= 1e3:
		return trimFloat(v/1e3) + "k"
	}
	return trimFloat(v)
}

// trimFloat formats v with three significant digits and no trailing
// zeros.
func trimFloat(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// esc escapes text and attribute values for SVG and HTML alike.
func esc(s string) string { return html.EscapeString(s) }
