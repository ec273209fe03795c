package usched

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Sample is one reading of a runtime's Stats, for WriteReport.
type Sample struct {
	// Time is when Stats was read.
	Time time.Time
	// Run names the runtime read. A program that profiles one runtime
	// can leave it empty; one that profiles several in turn (as "usched
	// profile -- stress -scenario uts" does) gives each its own name,
	// since a new runtime's counters start again from zero.
	Run   string
	Stats Stats
}

// WriteReport writes a self-contained HTML page about samples: plots (as
// inline SVG; no scripts, fonts or other files) of the Gs run per second
// and the Gs stolen per second by each P (the steal rate), of each P's
// run queue length over time, of the scheduling-latency CDF and of the
// steal matrix as a heat map, then a table per runtime of its final
// counters by metric name (see Stats.Metrics) with each P's share.
//
// samples must be in time order; consecutive samples with the same Run
// are one runtime. Rates are differences between consecutive samples of
// a runtime, so take the first sample right after New and the last after
// the workload's Wait (when the counters are exact), and one every second
// or so between: the "usched profile" command does exactly that, and a
// program can do the same with rt.Stats() in a goroutine. The latency
// CDF, the heat map and the table read each runtime's last sample. With
// no samples the page says so. WriteReport returns w's error.
func WriteReport(w io.Writer, title string, samples []Sample) error {
	// Built in memory and handed to w in one Write, so that a slow or
	// unbuffered w (a socket, a file) costs one call, not thousands.
	var b strings.Builder
	writeReportPage(&b, title, samples)
	_, err := io.WriteString(w, b.String())
	return err
}

// reportCSS styles the page; inline, so that the file stands alone.
const reportCSS = `body{font-family:sans-serif;margin:2em;max-width:1000px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f4f4f4}td.name,th.name{text-align:left;font-family:monospace}
svg{display:block;margin:1em 0}p.note{color:#555;font-size:13px}`

func writeReportPage(b *strings.Builder, title string, samples []Sample) {
	fmt.Fprintf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n<style>\n%s\n</style>\n</head>\n<body>\n", esc(title), reportCSS)
	fmt.Fprintf(b, "<h1>%s</h1>\n", esc(title))
	if len(samples) == 0 {
		b.WriteString("<p>No samples: the workload created no runtime, or ended before the first sample.</p>\n</body>\n</html>\n")
		return
	}
	runs := splitRuns(samples)
	t0 := samples[0].Time
	fmt.Fprintf(b, "<p>%d samples of %d runtime(s) over %v, from %s.</p>\n",
		len(samples), len(runs), samples[len(samples)-1].Time.Sub(t0).Round(time.Millisecond), t0.Format(time.RFC3339))
	writeRunsTable(b, runs)

	var markers []marker
	if len(runs) > 1 || runs[0].name != "" {
		for i := range runs {
			markers = append(markers, marker{runs[i].samples[0].Time.Sub(t0).Seconds(), runLabel(&runs[i], i)})
		}
	}
	const xLabel = "seconds since the first sample"
	b.WriteString("<h2>Gs run</h2>\n")
	(&lineChart{id: "gs-run", title: "Gs run per second, per P", xLabel: xLabel, yLabel: "Gs/s", markers: markers,
		series: perPRates(runs, t0, func(ps *PStats) uint64 { return ps.RanGs })}).svg(b)

	b.WriteString("<h2>Steal rate</h2>\n<p class=\"note\">Gs each P stole from the others per second (steals in), between consecutive samples.</p>\n")
	(&lineChart{id: "steal-rate", title: "Gs stolen per second, per thief P", xLabel: xLabel, yLabel: "stolen Gs/s", markers: markers,
		series: perPRates(runs, t0, func(ps *PStats) uint64 { return ps.StolenGs })}).svg(b)

	b.WriteString("<h2>Run queues</h2>\n<p class=\"note\">Gs queued on each P, and on the global queue (dashed), at each sample.</p>\n")
	queues := perPGauge(runs, t0, func(ps *PStats) float64 { return float64(ps.RunqGs) })
	queues = append(queues, wholeGauge(runs, t0, "global", true, func(st *Stats) float64 { return float64(st.GlobalQueueGs) }))
	(&lineChart{id: "runq", title: "Run queue length, per P", xLabel: xLabel, yLabel: "queued Gs", markers: markers, series: queues}).svg(b)

	b.WriteString("<h2>Scheduling latency</h2>\n<p class=\"note\">Sampled time from runnable (spawned or submitted) to running; each point is the upper bound of a log2 bucket.</p>\n")
	var cdf []series
	for i := range runs {
		if pts := latencyCDF(runs[i].final().SchedLatency); pts != nil {
			cdf = append(cdf, series{name: runLabel(&runs[i], i), segs: [][]point{pts}})
		}
	}
	(&lineChart{id: "latency-cdf", title: "Scheduling latency CDF", xLabel: "latency (log scale)", yLabel: "fraction of sampled Gs",
		logX: true, yMax: 1, series: cdf}).svg(b)

	b.WriteString("<h2>Steal matrix</h2>\n<p class=\"note\">Gs the column's P stole from the row's P over the whole run; S: the P of a spare M.</p>\n")
	for i := range runs {
		r := &runs[i]
		st := r.final()
		shown := r.shownPs()
		hm := heatMap{id: fmt.Sprintf("steal-matrix-%d", i+1), title: "Steal matrix: " + runLabel(r, i)}
		for _, v := range shown {
			hm.names = append(hm.names, pName(st, v))
			row := make([]uint64, len(shown))
			for k, t := range shown {
				if v < len(st.StealMatrix) && t < len(st.StealMatrix[v]) {
					row[k] = st.StealMatrix[v][t]
				}
			}
			hm.cells = append(hm.cells, row)
		}
		hm.svg(b)
	}

	b.WriteString("<h2>Final counters</h2>\n")
	for i := range runs {
		writeCountersTable(b, &runs[i], i)
	}
	b.WriteString("<p class=\"note\">Written by usched.WriteReport.</p>\n</body>\n</html>\n")
}

// writeRunsTable writes one row per runtime: how long it was sampled,
// what it ran and stole, and its latency quantiles.
func writeRunsTable(b *strings.Builder, runs []reportRun) {
	b.WriteString("<table class=\"runs\">\n<tr><th class=\"name\">runtime</th><th>Ps</th><th>sampled for</th><th>samples</th><th>Gs run</th><th>Gs/s</th><th>Gs stolen</th><th>stolen per 1000 run</th><th>latency p50</th><th>p99</th></tr>\n")
	for i := range runs {
		r := &runs[i]
		st := r.final()
		tot := st.Total()
		d := r.samples[len(r.samples)-1].Time.Sub(r.samples[0].Time)
		rate, per1000 := 0.0, 0.0
		if d > 0 {
			rate = float64(tot.RanGs) / d.Seconds()
		}
		if tot.RanGs > 0 {
			per1000 = 1000 * float64(tot.StolenGs) / float64(tot.RanGs)
		}
		fmt.Fprintf(b, "<tr data-run=\"%s\" data-gs-run=\"%d\" data-gs-stolen=\"%d\"><td class=\"name\">%s</td><td>%d</td><td>%v</td><td>%d</td><td>%d</td><td>%s</td><td>%d</td><td>%.1f</td><td>&le; %v</td><td>&le; %v</td></tr>\n",
			esc(r.name), tot.RanGs, tot.StolenGs, esc(runLabel(r, i)), st.Procs, roundReport(d), len(r.samples), tot.RanGs, siFormat(rate),
			tot.StolenGs, per1000, st.SchedLatency.Quantile(0.5), st.SchedLatency.Quantile(0.99))
	}
	b.WriteString("</table>\n")
}

// writeCountersTable writes a runtime's last sample as a table of
// metrics: the name, the total and each shown P's value.
func writeCountersTable(b *strings.Builder, r *reportRun, i int) {
	st := r.final()
	shown := r.shownPs()
	fmt.Fprintf(b, "<h3>%s</h3>\n<table class=\"counters\" data-run=\"%s\">\n<tr><th class=\"name\">metric</th><th>kind</th><th>total</th>", esc(runLabel(r, i)), esc(r.name))
	for _, p := range shown {
		fmt.Fprintf(b, "<th>%s</th>", pName(st, p))
	}
	b.WriteString("</tr>\n")
	for _, m := range st.Metrics() {
		unit := m.Name[strings.LastIndexByte(m.Name, ':')+1:]
		fmt.Fprintf(b, "<tr data-metric=\"%s\" data-total=\"%s\"><td class=\"name\">%s</td><td>%s</td><td>%s</td>",
			esc(m.Name), strconv.FormatFloat(m.Value, 'g', -1, 64), esc(m.Name), m.Kind, formatMetric(m.Value, unit))
		for _, p := range shown {
			if m.PerP == nil || p >= len(m.PerP) {
				b.WriteString("<td></td>")
				continue
			}
			fmt.Fprintf(b, "<td>%s</td>", formatMetric(m.PerP[p], unit))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n")
}

// formatMetric writes a value for a table: seconds as a duration, counts
// in full.
func formatMetric(v float64, unit string) string {
	if unit == "seconds" {
		return time.Duration(v * 1e9).String()
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// roundReport rounds d for a table: milliseconds from a second up,
// microseconds below.
func roundReport(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Microsecond)
}
