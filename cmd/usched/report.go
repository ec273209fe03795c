package main

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/usched/usched"
	"github.com/usched/usched/stress"
)

// printHeader starts a scenario's report, before it runs: on a terminal
// the progress bar then follows it.
func printHeader(w io.Writer, scenario string, seed uint64) {
	fmt.Fprintf(w, "\n== %s (seed %d)\n", scenario, seed)
}

// printReport prints, after printHeader, a scenario run's summary, its
// scheduler tables (per-P counters, the steal matrix and the scheduling
// latency) and its invariants.
func printReport(w io.Writer, res *stress.Result) {
	fmt.Fprintf(w, "workload %s\n", res.Workload)
	if res.Err != nil {
		fmt.Fprintf(w, "the run could not be made: %v\n", res.Err)
		fmt.Fprintf(w, "%s: FAIL\n", res.Scenario)
		return
	}
	st := res.Stats
	secs := res.Elapsed.Seconds()
	fmt.Fprintf(w, "procs %d (%d CPUs), policy %s", res.Procs, cpus, st.Policy)
	if st.UrgentPreempts > 0 {
		fmt.Fprintf(w, " (%d urgent yields asked)", st.UrgentPreempts)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "GOMAXPROCS %d (%d before usched.New)\n", st.GOMAXPROCS, res.GOMAXPROCSBefore)
	pr := st.Preemption
	fmt.Fprintf(w, "preemption %s", pr.Mode)
	if pr.Mode != "off" {
		fmt.Fprintf(w, ", quantum %v, %d Gs flagged, %d polls yielded, %d escalated, %d handed to spare Ms (%d spares, %d missed)",
			pr.Quantum, pr.FlaggedGs, st.Total().Preemptions, pr.Escalations, pr.Handoffs, pr.SpareMs, pr.SpareMisses)
	}
	fmt.Fprintln(w)
	if pr.Reason != "" && pr.Mode != "off" {
		fmt.Fprintf(w, "  eBPF not in force: %s\n", pr.Reason)
	}
	if pr.Demotion != "" {
		fmt.Fprintf(w, "  %s\n", pr.Demotion)
	}
	fmt.Fprintf(w, "elapsed %v\n", res.Elapsed.Round(time.Microsecond))
	fmt.Fprintf(w, "Gs/s %s (%.0f)\n", humanCount(res.GsPerSec()), res.GsPerSec())
	fmt.Fprintln(w)

	printPTable(w, st, secs)
	fmt.Fprintln(w)
	printStealMatrix(w, st)
	fmt.Fprintln(w)
	printLatency(w, st.SchedLatency)
	fmt.Fprintln(w)
	for _, n := range res.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	fmt.Fprintln(w, "invariants:")
	for _, c := range res.Checks {
		status := "ok  "
		if !c.OK {
			status = "FAIL"
		}
		fmt.Fprintf(w, "  %s %s: %s\n", status, c.Name, c.Detail)
	}
	fmt.Fprintf(w, "%s: %s\n", res.Scenario, verdict(res.Passed()))
}

// printRunLine prints one line for a repeated run (-duration), whose
// tables would only repeat the first run's.
func printRunLine(w io.Writer, pass int, res *stress.Result) {
	fmt.Fprintf(w, "pass %d: %s (seed %d): %s, %d Gs in %v, %s Gs/s, %d stolen (%.1f per 1000 Gs)\n",
		pass, res.Scenario, res.Seed, verdict(res.Passed()), res.Gs, res.Elapsed.Round(time.Microsecond),
		humanCount(res.GsPerSec()), res.StolenGs(), res.StealsPer1000())
}

// roundDuration rounds d to three or four significant digits or so: to the
// millisecond from a second up, to the microsecond below.
func roundDuration(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Microsecond)
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// printSummary prints the final table: one row per scenario, adding up
// its runs. Steals count Gs moved from one P to another, not steal
// operations (one steal moves half a deque).
func printSummary(w io.Writer, rows []*summaryRow, wall time.Duration) {
	fmt.Fprintf(w, "\nsummary (%v in all; stolen Gs count Gs moved between Ps)\n", wall.Round(time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tresult\truns\tGs\telapsed\tGs/s\tstolen Gs\tstolen/1000 Gs\t")
	for _, r := range rows {
		result := "PASS"
		if r.fails > 0 {
			result = fmt.Sprintf("FAIL (%d of %d)", r.fails, r.runs)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%v\t%s\t%d\t%.1f\t\n",
			r.name, result, r.runs, r.gs, roundDuration(r.elapsed),
			humanCount(perSecond(r.gs, r.elapsed.Seconds())), r.stolen, perThousand(r.stolen, r.gs))
	}
	tw.Flush()
}

// perSecond returns n per second of secs, 0 when secs is 0.
func perSecond(n uint64, secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	return float64(n) / secs
}

// perThousand returns 1000*n/of, 0 when of is 0.
func perThousand(n, of uint64) float64 {
	if of == 0 {
		return 0
	}
	return 1000 * float64(n) / float64(of)
}

// printPTable prints one row per P and a total row. Steal columns count
// Gs, not steal operations (one steal moves half a deque).
func printPTable(w io.Writer, st usched.Stats, secs float64) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "P\tCPU\tGs run\tsteals in\tsteals out\tsteal attempts\tstolen in/s\tstolen in/1000 run\tparks\tspins\tyields\t")
	row := func(p, cpu string, ps usched.PStats) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%.0f\t%.1f\t%d\t%d\t%d\t\n",
			p, cpu, ps.RanGs, ps.StolenGs, ps.StolenFromGs, ps.StealAttempts,
			perSecond(ps.StolenGs, secs), perThousand(ps.StolenGs, ps.RanGs),
			ps.Parks, ps.Spins, ps.Yields)
	}
	for _, ps := range st.Ps {
		cpu := "-"
		if ps.CPU >= 0 {
			cpu = strconv.Itoa(ps.CPU)
		}
		row(strconv.Itoa(ps.P), cpu, ps)
	}
	row("total", "", st.Total())
	tw.Flush()
}

// printStealMatrix prints StealMatrix[victim][thief]: rows are victims,
// columns thieves, cells the Gs moved.
func printStealMatrix(w io.Writer, st usched.Stats) {
	fmt.Fprintln(w, "steal matrix (Gs stolen; rows: victim P, columns: thief P; S: the P of a spare M)")
	name := func(i int) string {
		if i >= len(st.Ps) {
			return fmt.Sprintf("S%d", i-len(st.Ps))
		}
		return fmt.Sprintf("P%d", i)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "victim\\thief\t")
	for t := range st.StealMatrix {
		fmt.Fprintf(tw, "%s\t", name(t))
	}
	fmt.Fprintln(tw, "total\t")
	for v, row := range st.StealMatrix {
		fmt.Fprintf(tw, "%s\t", name(v))
		var sum uint64
		for t, n := range row {
			sum += n
			if t == v {
				fmt.Fprint(tw, "-\t")
				continue
			}
			fmt.Fprintf(tw, "%d\t", n)
		}
		fmt.Fprintf(tw, "%d\t\n", sum)
	}
	fmt.Fprint(tw, "total\t")
	var all uint64
	for t := range st.StealMatrix {
		var col uint64
		for v := range st.StealMatrix {
			col += st.StealMatrix[v][t]
		}
		all += col
		fmt.Fprintf(tw, "%d\t", col)
	}
	fmt.Fprintf(tw, "%d\t\n", all)
	tw.Flush()
}

// printLatency prints the quantiles of the sampled scheduling latency.
// The histogram has log2 buckets, so each value is an upper bound.
func printLatency(w io.Writer, h usched.LatencyHistogram) {
	fmt.Fprintf(w, "scheduling latency, runnable to running (%d sampled Gs; upper bounds of log2 buckets)\n", h.Count())
	if h.Count() == 0 {
		fmt.Fprintln(w, "  no samples")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "p50\tp99\tp99.9\t")
	fmt.Fprintf(tw, "<= %v\t<= %v\t<= %v\t\n", h.Quantile(0.50), h.Quantile(0.99), h.Quantile(0.999))
	tw.Flush()
}
