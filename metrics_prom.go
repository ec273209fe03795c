package usched

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// promContentType is the Prometheus text exposition format, version 0.0.4:
// the one every Prometheus server and scraper reads. It is written by hand
// here so that the module does not depend on a Prometheus client library
// for a format this small.
const promContentType = "text/plain; version=0.0.4; charset=utf-8"

// MetricsHandler returns an HTTP handler serving rt's Stats, read afresh
// for each request, in the Prometheus text format (version 0.0.4). It
// answers GET and HEAD; other methods get 405.
//
// Each metric of Stats.Metrics is exported under its Prometheus name:
// "usched" and the path with '/' and '-' as '_', then the unit unless it
// is already a word of the path, then "_total" for a counter. So
// /usched/gs/run:gs is usched_gs_run_total, /usched/steals:gs
// usched_steals_gs_total and /usched/sched/latency/p99:seconds
// usched_sched_latency_p99_seconds. A per-P metric has one series per P,
// labelled p="0", p="1"... (spare Ps count on from the last P), and no
// series for the total: sum them. Four more families carry what is not a
// single number:
//
//	usched_steals_matrix_gs_total{victim="0",thief="1"}  StealMatrix[0][1]
//	usched_p_info{p="0",cpu="0",tid="1234"} 1             each P's CPU and M thread
//	usched_preempt_info{mode="sysmon",block_detection="watcher"} 1
//	usched_policy_info{policy="work-stealing"} 1
//
// Reading Stats costs the Ms nothing, so a scrape does not slow the
// runtime; it allocates a few kilobytes per P.
func MetricsHandler(rt *Runtime) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "usched: metrics are read with GET", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", promContentType)
		if r.Method == http.MethodHead {
			return
		}
		// An error here is the client going away: nothing to tell it.
		_ = writePrometheus(w, rt.Stats())
	})
}

// writePrometheus writes st in the Prometheus text format.
func writePrometheus(w io.Writer, st Stats) error {
	bw := bufio.NewWriter(w)
	family := func(name, kind, help string) {
		bw.WriteString("# HELP " + name + " " + escapeHelp(help) + "\n")
		bw.WriteString("# TYPE " + name + " " + kind + "\n")
	}
	sample := func(name string, labels []string, v float64) {
		bw.WriteString(name)
		if len(labels) > 0 {
			bw.WriteByte('{')
			for i := 0; i < len(labels); i += 2 {
				if i > 0 {
					bw.WriteByte(',')
				}
				bw.WriteString(labels[i] + `="` + escapeLabel(labels[i+1]) + `"`)
			}
			bw.WriteByte('}')
		}
		bw.WriteString(" " + strconv.FormatFloat(v, 'g', -1, 64) + "\n")
	}

	for _, m := range st.Metrics() {
		name := promName(m.Name, m.Kind)
		family(name, m.Kind.String(), m.Help+" ("+m.Name+")")
		if m.PerP == nil {
			sample(name, nil, m.Value)
			continue
		}
		for p, v := range m.PerP {
			sample(name, []string{"p", strconv.Itoa(p)}, v)
		}
	}

	family("usched_steals_matrix_gs_total", "counter", "Gs the thief P stole from the victim P (StealMatrix[victim][thief])")
	for v, row := range st.StealMatrix {
		for t, n := range row {
			if v != t { // a P never steals from itself: no series for the diagonal
				sample("usched_steals_matrix_gs_total", []string{"victim", strconv.Itoa(v), "thief", strconv.Itoa(t)}, float64(n))
			}
		}
	}
	family("usched_p_info", "gauge", "each P's CPU (-1: unpinned) and its M's thread ID, as labels; the value is 1")
	for _, ps := range [][]PStats{st.Ps, st.SparePs} {
		for _, p := range ps {
			sample("usched_p_info", []string{"p", strconv.Itoa(p.P), "cpu", strconv.Itoa(p.CPU), "tid", strconv.Itoa(p.TID)}, 1)
		}
	}
	family("usched_preempt_info", "gauge", "the preemption watcher (mode) and how blocked Ms are seen (block_detection), as labels; the value is 1")
	sample("usched_preempt_info", []string{"mode", st.Preemption.Mode, "block_detection", st.Preemption.BlockDetection}, 1)
	family("usched_policy_info", "gauge", "the scheduling policy (policy), as a label; the value is 1")
	sample("usched_policy_info", []string{"policy", st.Policy}, 1)
	return bw.Flush()
}

// escapeHelp escapes a HELP text as the format asks: backslash and
// newline.
func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

// escapeLabel escapes a label value: backslash, double quote and newline.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
