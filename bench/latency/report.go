package latency

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// GoalLoad is the offered load at which the goal is judged.
const GoalLoad = 0.7

// Goal is the goal line for one workload and variant: the p99 of short
// requests under usched with preemption against goroutines and the pool.
type Goal struct {
	Workload     string  `json:"workload"`
	Variant      Variant `json:"variant"`
	Load         float64 `json:"load"`
	Usched       int64   `json:"usched_p99_ns"`
	UschedOff    int64   `json:"usched_nopreempt_p99_ns"`
	Goroutines   int64   `json:"goroutines_p99_ns"`
	Pool         int64   `json:"pool_p99_ns"`
	VsGoroutines Ratio   `json:"ratio_goroutines"` // goroutines p99 / usched p99; NaN if a side is missing
	VsPool       Ratio   `json:"ratio_pool"`
	Want         float64 `json:"goal_ratio"`
	Met          bool    `json:"met"`
}

// Ratio is a goal ratio. NaN (a side not measured) is written to JSON as
// null and +Inf (the other side never served) as "inf", which JSON
// numbers cannot express.
type Ratio float64

// MarshalJSON implements json.Marshaler.
func (r Ratio) MarshalJSON() ([]byte, error) {
	switch x := float64(r); {
	case math.IsNaN(x):
		return []byte("null"), nil
	case math.IsInf(x, 0):
		return []byte(`"inf"`), nil
	}
	return json.Marshal(float64(r))
}

// WantRatio is the goal's factor: 10x cooperative, 3x uncooperative.
func WantRatio(v Variant) float64 {
	if v == Coop {
		return 10
	}
	return 3
}

// find returns the point of the sweep with these coordinates, or nil.
func (r *Results) find(wl string, v Variant, ex string, load float64) *Point {
	for _, pt := range r.Points {
		if pt.Workload == wl && pt.Variant == v && pt.Executor == ex && math.Abs(pt.Load-load) < 1e-9 {
			return pt
		}
	}
	return nil
}

// goalLoad returns the swept load nearest GoalLoad.
func (r *Results) goalLoad() float64 {
	best := math.NaN()
	for _, l := range r.Config.Loads {
		if math.IsNaN(best) || math.Abs(l-GoalLoad) < math.Abs(best-GoalLoad) {
			best = l
		}
	}
	return best
}

// ratio returns other / base, NaN when either is missing or base is Inf,
// and +Inf when only other is Inf.
func ratio(other, base *Point) float64 {
	if other == nil || base == nil || other.Error != "" || base.Error != "" || base.Short.P99 == Inf || base.Short.P99 <= 0 {
		return math.NaN()
	}
	if other.Short.P99 == Inf {
		return math.Inf(1)
	}
	return float64(other.Short.P99) / float64(base.Short.P99)
}

// Goals computes the goal line for every workload and variant swept.
func (r *Results) Goals() []Goal {
	load := r.goalLoad()
	var goals []Goal
	for _, wl := range r.Config.Workloads {
		for _, v := range r.Config.Variants {
			u := r.find(wl, v, ExecUsched, load)
			off := r.find(wl, v, ExecUschedOff, load)
			gr := r.find(wl, v, ExecGoroutines, load)
			pool := r.find(wl, v, ExecPool, load)
			g := Goal{Workload: wl, Variant: v, Load: load, Want: WantRatio(v),
				Usched: p99(u), UschedOff: p99(off), Goroutines: p99(gr), Pool: p99(pool),
				VsGoroutines: Ratio(ratio(gr, u)), VsPool: Ratio(ratio(pool, u))}
			g.Met = float64(g.VsGoroutines) >= g.Want && float64(g.VsPool) >= g.Want
			goals = append(goals, g)
		}
	}
	return goals
}

func p99(pt *Point) int64 {
	if pt == nil {
		return -1
	}
	return pt.Short.P99
}

func fmtP99(ns int64) string {
	if ns < 0 {
		return "-"
	}
	return fmtNs(ns)
}

func fmtRatio(x float64) string {
	switch {
	case math.IsNaN(x):
		return "-"
	case math.IsInf(x, 1):
		return "inf"
	}
	if x < 1 {
		return fmt.Sprintf("%.2gx", x) // usched slower: keep two digits
	}
	return fmt.Sprintf("%.1fx", x)
}

var workloadNames = map[string]string{
	"a": "A (spin: 99.5% 5 µs, 0.5% 500 µs)",
	"b": "B (pebble: 99.5% GET, 0.5% SCAN)",
}

// WriteGoals prints the goal lines as plain text.
func (r *Results) WriteGoals(w io.Writer) {
	for _, g := range r.Goals() {
		met := "NOT MET"
		if g.Met {
			met = "met"
		}
		fmt.Fprintf(w, "goal %s %-6s at %.0f%%: short p99 usched %s, usched-nopreempt %s, goroutines %s (%s), pool %s (%s); want >= %.0fx: %s\n",
			g.Workload, g.Variant, 100*g.Load, fmtP99(g.Usched), fmtP99(g.UschedOff),
			fmtP99(g.Goroutines), fmtRatio(float64(g.VsGoroutines)), fmtP99(g.Pool), fmtRatio(float64(g.VsPool)), g.Want, met)
	}
}

// WriteMarkdown writes the results as a section ready for RESULTS.md.
func (r *Results) WriteMarkdown(w io.Writer, cmdline string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## Tail latency\n\n")
	fmt.Fprintf(&b, "Open-loop Poisson load, %.1f%% long requests, every executor on CPU %d, the generator on CPU %d (its own process). Latency = completion - intended arrival (CLOCK_MONOTONIC), so queueing behind a stalled generator or receiver is counted. Percentiles are exact (sorted samples, nearest rank); dropped and unfinished requests count as infinite.\n\n",
		100*r.Config.LongFrac, r.Config.ExecCPU, r.Config.GenCPU)
	fmt.Fprintf(&b, "Command: `%s` (%s, %s, %s CPUs, kernel %s, %s).\n\n", cmdline, r.Started.Format("2006-01-02 15:04"), r.Machine["go"], r.Machine["cpus"], r.Machine["kernel"], r.Machine["cpu"])
	for _, wl := range r.Config.Workloads {
		if c := r.Calibrations[wl]; c != nil {
			fmt.Fprintf(&b, "- Workload %s calibration: %v.\n", workloadNames[wl], c)
		}
	}
	if info := r.uschedInfo(); info != "" {
		fmt.Fprintf(&b, "- usched as run: %s.\n", info)
	}
	fmt.Fprintf(&b, "\n### Goal: p99 of short requests at %.0f%% of capacity\n\n", 100*r.goalLoad())
	b.WriteString("| workload | variant | usched | usched-nopreempt | goroutines | usched vs goroutines | pool | usched vs pool | goal | |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, g := range r.Goals() {
		met := "not met"
		if g.Met {
			met = "met"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | **%s** | %s | **%s** | >= %.0fx | %s |\n",
			strings.ToUpper(g.Workload), g.Variant, fmtP99(g.Usched), fmtP99(g.UschedOff), fmtP99(g.Goroutines), fmtRatio(float64(g.VsGoroutines)), fmtP99(g.Pool), fmtRatio(float64(g.VsPool)), g.Want, met)
	}
	r.writePolicies(&b)
	disturbed := 0
	for _, wl := range r.Config.Workloads {
		for _, v := range r.Config.Variants {
			fmt.Fprintf(&b, "\n### Workload %s, %s\n\n", workloadNames[wl], v)
			b.WriteString("| executor | load | offered/s | achieved/s | short p50 | short p99 | short p99.9 | all p50 | all p99 | all p99.9 | dropped | unfinished | CPU exec/gen |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
			for _, ex := range r.Config.Executors {
				for _, l := range r.Config.Loads {
					pt := r.find(wl, v, ex, l)
					if pt == nil {
						continue
					}
					if pt.Error != "" {
						msg := strings.ReplaceAll(pt.Error, "\n", " ")
						if len(msg) > 120 {
							msg = msg[:120] + "..."
						}
						fmt.Fprintf(&b, "| %s | %.0f%% | failed: %s | | | | | | | | | | |\n", ex, 100*l, strings.ReplaceAll(msg, "|", "/"))
						continue
					}
					mark := ""
					if r.Config.disturbed(pt) {
						mark = " †"
						disturbed++
					}
					fmt.Fprintf(&b, "| %s | %.0f%% | %.0f | %.0f | %s | %s | %s | %s | %s | %s | %d | %d | %.0f/%.0f%%%s |\n",
						ex, 100*l, pt.Offered, pt.Achieved, fmtNs(pt.Short.P50), fmtNs(pt.Short.P99), fmtNs(pt.Short.P999),
						fmtNs(pt.All.P50), fmtNs(pt.All.P99), fmtNs(pt.All.P999), pt.Dropped, pt.Unfinished,
						100*pt.ExecShare, 100*pt.GenShare, mark)
				}
			}
		}
	}
	fmt.Fprintf(&b, "\nCPU exec/gen: the share of its CPU the executor process and the generator thread got during the point (the rest went to other processes). ")
	if disturbed > 0 {
		fmt.Fprintf(&b, "†: %d points stayed disturbed (a share below %.0f%%, or the generator late by more than %v at p99) after %d retries; read them with care.\n",
			disturbed, 100*r.Config.MinShare, r.Config.MaxGenLate, r.Config.Retries)
	} else {
		fmt.Fprintf(&b, "No point was disturbed (every share at least %.0f%%, the generator never late by more than %v at p99).\n", 100*r.Config.MinShare, r.Config.MaxGenLate)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writePolicies compares the Centralized executor with usched's default
// policy (work stealing), both with preemption, at every load: the short
// requests' p99 and the rate each served.
func (r *Results) writePolicies(b *strings.Builder) {
	if !slices.Contains(r.Config.Executors, ExecCentralized) || !slices.Contains(r.Config.Executors, ExecUsched) {
		return
	}
	b.WriteString("\n### Policies: Centralized vs WorkStealing (both preempting)\n\n")
	b.WriteString("Short requests' p99; the ratio is WorkStealing's p99 over Centralized's (above 1: Centralized is better).\n\n")
	b.WriteString("| workload | variant | load | WorkStealing p99 | served/s | Centralized p99 | served/s | ratio |\n|---|---|---|---|---|---|---|---|\n")
	for _, wl := range r.Config.Workloads {
		for _, v := range r.Config.Variants {
			for _, l := range r.Config.Loads {
				ws, c := r.find(wl, v, ExecUsched, l), r.find(wl, v, ExecCentralized, l)
				if ws == nil || c == nil {
					continue
				}
				fmt.Fprintf(b, "| %s | %s | %.0f%% | %s | %.0f | %s | %.0f | **%s** |\n", strings.ToUpper(wl), v, 100*l,
					fmtP99(p99(ws)), ws.Achieved, fmtP99(p99(c)), c.Achieved, fmtRatio(ratio(ws, c)))
			}
		}
	}
}

// uschedInfo summarises what the usched executor's children reported
// about preemption (the watcher in force), from the first such point.
func (r *Results) uschedInfo() string {
	for _, pt := range r.Points {
		if pt.Executor != ExecUsched || len(pt.Info) == 0 {
			continue
		}
		// The settings, not the counters, which belong to one point
		// (results.json has every point's).
		keys := make([]string, 0, len(pt.Info))
		for k := range pt.Info {
			if k == "config" || k == "GOMAXPROCS" || k == "Preemption.Mode" || k == "Preemption.Reason" || k == "Preemption.Quantum" || k == "Preemption.Demotion" || k == "Preemption.SpareMs" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+" "+pt.Info[k])
		}
		return strings.Join(parts, "; ")
	}
	return ""
}

// WriteFiles writes results.json, results.md and the plots into dir.
func (r *Results) WriteFiles(dir, cmdline string) ([]string, error) {
	if r.Command == "" {
		r.Command = cmdline // a sweep's own; a replot keeps the original
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(struct {
		*Results
		Goals []Goal `json:"goals"`
	}{r, r.Goals()}, "", "  ")
	if err != nil {
		return nil, err
	}
	jsPath := filepath.Join(dir, "results.json")
	if err := os.WriteFile(jsPath, append(js, '\n'), 0o644); err != nil {
		return nil, err
	}
	mdPath := filepath.Join(dir, "results.md")
	f, err := os.Create(mdPath)
	if err != nil {
		return nil, err
	}
	if err := r.WriteMarkdown(f, r.Command); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	pngs, err := r.Plot(dir)
	return append([]string{mdPath, jsPath}, pngs...), err
}

// ReadResults loads a results.json written by WriteFiles, so that the
// report and the plots can be made again without measuring again.
func ReadResults(path string) (*Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("latency: %s: %w", path, err)
	}
	return &r, nil
}
