package latency

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// executorStyle gives each executor the same colour and marker in every
// plot.
var executorStyle = map[string]struct {
	c     color.RGBA
	shape draw.GlyphDrawer
}{
	ExecUsched:      {color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, draw.CircleGlyph{}},
	ExecUschedOff:   {color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}, draw.TriangleGlyph{}},
	ExecCentralized: {color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, draw.PyramidGlyph{}},
	ExecGoroutines:  {color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, draw.SquareGlyph{}},
	ExecPool:        {color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, draw.CrossGlyph{}},
}

// Plot draws, for each workload and variant, the p99 of short requests
// against offered load, one line per executor, on a log latency axis, and
// writes latency-<workload>-<variant>.png into dir. Points whose p99 is
// Inf (requests never served) are left out of their line.
func (r *Results) Plot(dir string) ([]string, error) {
	var paths []string
	for _, wl := range r.Config.Workloads {
		for _, v := range r.Config.Variants {
			p := plot.New()
			p.Title.Text = fmt.Sprintf("Workload %s, %s: p99 of short requests", workloadNames[wl], v)
			p.X.Label.Text = "offered load (% of capacity)"
			p.Y.Label.Text = "p99 latency of short requests"
			p.Y.Scale = plot.LogScale{}
			p.Y.Tick.Marker = latencyTicks{}
			// Bottom right: the lines climb with load, so that corner is
			// the emptiest.
			p.Legend.Top = false
			p.Legend.Left = false
			p.Add(plotter.NewGrid())
			lines := 0
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, ex := range r.Config.Executors {
				var xys plotter.XYs
				for _, l := range r.Config.Loads {
					pt := r.find(wl, v, ex, l)
					if pt == nil || pt.Error != "" || pt.Short.P99 == Inf || pt.Short.P99 <= 0 {
						continue
					}
					y := float64(pt.Short.P99) / 1e3
					lo, hi = min(lo, y), max(hi, y)
					xys = append(xys, plotter.XY{X: 100 * l, Y: y})
				}
				if len(xys) == 0 {
					continue
				}
				line, points, err := plotter.NewLinePoints(xys)
				if err != nil {
					return paths, err
				}
				st := executorStyle[ex]
				line.Color, points.Color, points.Shape = st.c, st.c, st.shape
				line.Width = vg.Points(1.5)
				p.Add(line, points)
				p.Legend.Add(ex, line, points)
				lines++
			}
			if lines == 0 {
				continue
			}
			// An explicit range a factor of 2 beyond the data: a log axis
			// cannot take the zero that gonum's own padding of a flat range
			// (a single point) would give it.
			p.Y.Min, p.Y.Max = lo/2, hi*2
			path := filepath.Join(dir, fmt.Sprintf("latency-%s-%s.png", wl, v))
			if err := p.Save(7*vg.Inch, 4.5*vg.Inch, path); err != nil {
				return paths, err
			}
			paths = append(paths, path)
		}
	}
	return paths, nil
}

// latencyTicks labels a log axis in µs with decades written as latencies
// (1µs, 10µs, ..., 1s) instead of powers of ten.
type latencyTicks struct{}

func (latencyTicks) Ticks(lo, hi float64) []plot.Tick {
	labels := []string{"1µs", "10µs", "100µs", "1ms", "10ms", "100ms", "1s", "10s", "100s"}
	var ticks []plot.Tick
	for i, v := 0, 1.0; i < len(labels); i, v = i+1, v*10 {
		if v >= lo/10 && v <= hi*10 {
			ticks = append(ticks, plot.Tick{Value: v, Label: labels[i]})
		}
	}
	return ticks
}
