package usched

// From samples to what WriteReport plots: samples split into runs (one
// per runtime), and per-P series of rates and gauges.

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// reportRun is the samples of one runtime, in order.
type reportRun struct {
	name    string
	samples []Sample
}

// final returns the run's last Stats: its totals.
func (r *reportRun) final() *Stats { return &r.samples[len(r.samples)-1].Stats }

// splitRuns cuts samples where Run changes: each part is one runtime,
// whose counters start from zero.
func splitRuns(samples []Sample) []reportRun {
	var runs []reportRun
	for i, s := range samples {
		if i == 0 || s.Run != samples[i-1].Run {
			runs = append(runs, reportRun{name: s.Run})
		}
		r := &runs[len(runs)-1]
		r.samples = append(r.samples, s)
	}
	return runs
}

// allPs returns st's Ps followed by its spare Ps: the order of the steal
// matrix and of Metric.PerP.
func allPs(st *Stats) []PStats {
	return append(append(make([]PStats, 0, len(st.Ps)+len(st.SparePs)), st.Ps...), st.SparePs...)
}

// pName names P i of st as the stress command's tables do: P0, P1... for
// the Ps, S0, S1... for the spare Ms' Ps.
func pName(st *Stats, i int) string {
	if i < len(st.Ps) {
		return "P" + strconv.Itoa(i)
	}
	return "S" + strconv.Itoa(i-len(st.Ps))
}

// shownPs returns the indices (into allPs) of the Ps a run's plots show:
// every P, and the spare Ps that ran or stole anything, since a spare that
// never served is a flat line at zero.
func (r *reportRun) shownPs() []int {
	st := r.final()
	var out []int
	for i, ps := range allPs(st) {
		if i < len(st.Ps) || ps.RanGs > 0 || ps.StolenGs > 0 || ps.StolenFromGs > 0 {
			out = append(out, i)
		}
	}
	return out
}

// seriesSet gathers series by name across runs, so that P0 of every run
// is one line (broken between runs) in one colour.
type seriesSet struct {
	order []string
	byKey map[string]*series
}

func (ss *seriesSet) add(name string, dashed bool, seg []point) {
	if len(seg) == 0 {
		return
	}
	if ss.byKey == nil {
		ss.byKey = map[string]*series{}
	}
	s := ss.byKey[name]
	if s == nil {
		s = &series{name: name, dashed: dashed}
		ss.byKey[name] = s
		ss.order = append(ss.order, name)
	}
	s.segs = append(s.segs, seg)
}

func (ss *seriesSet) list() []series {
	out := make([]series, len(ss.order))
	for i, name := range ss.order {
		out[i] = *ss.byKey[name]
	}
	return out
}

// perPRates returns, for each shown P of each run, the rate per second of
// a counter between consecutive samples, plotted at the later sample's
// time (seconds since t0). A run's first sample has no rate: nothing
// says how long its counters took to get there.
func perPRates(runs []reportRun, t0 time.Time, field func(*PStats) uint64) []series {
	var ss seriesSet
	for ri := range runs {
		r := &runs[ri]
		for _, i := range r.shownPs() {
			var seg []point
			for k := 1; k < len(r.samples); k++ {
				prev, cur := &r.samples[k-1], &r.samples[k]
				dt := cur.Time.Sub(prev.Time).Seconds()
				if dt <= 0 || i >= len(prev.Stats.Ps)+len(prev.Stats.SparePs) {
					continue
				}
				d := field(pAt(&cur.Stats, i)) - field(pAt(&prev.Stats, i))
				seg = append(seg, point{cur.Time.Sub(t0).Seconds(), float64(d) / dt})
			}
			ss.add(pName(r.final(), i), false, seg)
		}
	}
	return ss.list()
}

// perPGauge returns, for each shown P of each run, a gauge's value at
// every sample.
func perPGauge(runs []reportRun, t0 time.Time, field func(*PStats) float64) []series {
	var ss seriesSet
	for ri := range runs {
		r := &runs[ri]
		for _, i := range r.shownPs() {
			var seg []point
			for k := range r.samples {
				s := &r.samples[k]
				if i < len(s.Stats.Ps)+len(s.Stats.SparePs) {
					seg = append(seg, point{s.Time.Sub(t0).Seconds(), field(pAt(&s.Stats, i))})
				}
			}
			ss.add(pName(r.final(), i), false, seg)
		}
	}
	return ss.list()
}

// wholeGauge returns one series of a runtime-wide gauge, named name.
func wholeGauge(runs []reportRun, t0 time.Time, name string, dashed bool, field func(*Stats) float64) series {
	var ss seriesSet
	for ri := range runs {
		var seg []point
		for _, s := range runs[ri].samples {
			seg = append(seg, point{s.Time.Sub(t0).Seconds(), field(&s.Stats)})
		}
		ss.add(name, dashed, seg)
	}
	if len(ss.order) == 0 {
		return series{name: name, dashed: dashed}
	}
	return *ss.byKey[name]
}

// latencyCDF returns the cumulative distribution of a run's sampled
// scheduling latency: x is log10 of seconds at each bucket's upper bound,
// y the fraction of samples at or below it. It starts at the lower bound
// of the first non-empty bucket, at 0.
func latencyCDF(h LatencyHistogram) []point {
	total := h.Count()
	if total == 0 {
		return nil
	}
	first, last := -1, -1
	for i, c := range h.Buckets {
		if c > 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	lower := h.Bounds[first] / 2
	pts := []point{{math.Log10(lower.Seconds()), 0}}
	var seen uint64
	for i := first; i <= last; i++ {
		seen += h.Buckets[i]
		pts = append(pts, point{math.Log10(h.Bounds[i].Seconds()), float64(seen) / float64(total)})
	}
	return pts
}

// pAt returns P i of st, counting the spare Ps on from the last P.
func pAt(st *Stats, i int) *PStats {
	if i < len(st.Ps) {
		return &st.Ps[i]
	}
	return &st.SparePs[i-len(st.Ps)]
}

// runLabel names a run for a chart's marker or a heading.
func runLabel(r *reportRun, i int) string {
	if r.name != "" {
		return r.name
	}
	return fmt.Sprintf("runtime %d", i+1)
}
