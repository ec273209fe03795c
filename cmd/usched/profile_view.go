package main

// What "usched profile" shows while the workload runs. On a terminal, a
// frame redrawn in place at each sample: a row per P (run queue, Gs run,
// steals in and out, parks, spins, preemptions, hand-offs and system
// calls, per second), a line for the whole runtime, and the steal matrix
// as a heat map of characters. Anywhere else, one line per sample, which
// a log or a pipe can keep.

import (
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/usched/usched"
)

// heatRamp shades the live steal matrix, from no steals to the busiest
// cell; heatSelf marks the diagonal (a P does not steal from itself).
const (
	heatRamp = " .:-=+*#%@"
	heatSelf = '\\'
)

// profileView draws samples to w.
type profileView struct {
	w    io.Writer
	live bool // w is a terminal: redraw one frame in place
	t0   time.Time

	// tail returns the last line the workload wrote (live view only: the
	// workload's output is held back until it ends, so that it does not
	// scroll the frame away).
	tail func() string

	mu    sync.Mutex // serializes frames and, off a terminal, lines with the workload's
	frame []string   // protected by mu: the frame on screen (live view)
}

// show draws one sample; prev is the previous sample of the same runtime,
// nil for its first.
func (v *profileView) show(prev, cur *usched.Sample) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.t0.IsZero() {
		v.t0 = cur.Time
	}
	if !v.live {
		fmt.Fprintln(v.w, renderProfileLine(prev, cur, cur.Time.Sub(v.t0)))
		return
	}
	frame := renderProfileFrame(prev, cur, cur.Time.Sub(v.t0))
	if v.tail != nil {
		if line := v.tail(); line != "" {
			frame = append(frame, "workload: "+clip(line, 100))
		}
	}
	v.eraseLocked()
	v.frame = frame
	io.WriteString(v.w, strings.Join(frame, "\n")+"\n")
}

// eraseLocked moves the cursor back over the frame on screen and clears
// to the end of the screen (ANSI CSI F and CSI J), so that the next frame
// replaces it without scrolling. v.mu must be held.
func (v *profileView) eraseLocked() {
	if len(v.frame) > 0 {
		fmt.Fprintf(v.w, "\x1b[%dF\x1b[J", len(v.frame))
	}
}

// finish ends a live view: the frame is erased, the workload's held-back
// output printed, and the last frame drawn again below it, so that the
// terminal ends with the output and then the final state.
func (v *profileView) finish(held string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.live {
		return
	}
	frame := v.frame
	v.eraseLocked()
	io.WriteString(v.w, held)
	if len(frame) > 0 {
		if !strings.HasSuffix(held, "\n") && held != "" {
			io.WriteString(v.w, "\n")
		}
		// The workload line is stale now: its output is above.
		if strings.HasPrefix(frame[len(frame)-1], "workload: ") {
			frame = frame[:len(frame)-1]
		}
		io.WriteString(v.w, strings.Join(frame, "\n")+"\n")
	}
	v.frame = nil
}

// sampleRates holds one P's per-second rates between two samples.
type sampleRates struct {
	ran, in, out, parks, spins, preempt, handoffs, syscalls float64
}

// pRates returns the rates of ps since before over dt seconds.
func pRates(before, ps *usched.PStats, dt float64) sampleRates {
	r := func(a, b uint64) float64 { return float64(b-a) / dt }
	return sampleRates{
		ran: r(before.RanGs, ps.RanGs), in: r(before.StolenGs, ps.StolenGs), out: r(before.StolenFromGs, ps.StolenFromGs),
		parks: r(before.Parks, ps.Parks), spins: r(before.Spins, ps.Spins), preempt: r(before.Preemptions, ps.Preemptions),
		handoffs: r(before.Handoffs+before.SyscallHandoffs, ps.Handoffs+ps.SyscallHandoffs), syscalls: r(before.Syscalls, ps.Syscalls),
	}
}

// viewPs returns the Ps and the spare Ps that did anything, with their
// names (P0... and S0...).
func viewPs(st *usched.Stats) (ps []usched.PStats, names []string) {
	for i, p := range st.Ps {
		ps, names = append(ps, p), append(names, fmt.Sprintf("P%d", i))
	}
	for i, p := range st.SparePs {
		if p.RanGs > 0 || p.StolenGs > 0 || p.StolenFromGs > 0 {
			ps, names = append(ps, p), append(names, fmt.Sprintf("S%d", i))
		}
	}
	return ps, names
}

// ratesOf returns each shown P's rates since prev, and whether there are
// any (not for a runtime's first sample).
func ratesOf(prev, cur *usched.Sample, ps []usched.PStats) ([]sampleRates, bool) {
	if prev == nil {
		return nil, false
	}
	dt := cur.Time.Sub(prev.Time).Seconds()
	if dt <= 0 {
		return nil, false
	}
	before := append(append([]usched.PStats(nil), prev.Stats.Ps...), prev.Stats.SparePs...)
	out := make([]sampleRates, len(ps))
	for i := range ps {
		if ps[i].P < len(before) {
			out[i] = pRates(&before[ps[i].P], &ps[i], dt)
		}
	}
	return out, true
}

// renderProfileFrame returns the live view of cur, one string per line.
func renderProfileFrame(prev, cur *usched.Sample, at time.Duration) []string {
	st := &cur.Stats
	ps, names := viewPs(st)
	rates, ok := ratesOf(prev, cur, ps)
	var b strings.Builder
	fmt.Fprintf(&b, "usched profile   %s   t %v   %d Ps   watcher %s\n", cur.Run, at.Round(10*time.Millisecond), st.Procs, st.Preemption.Mode)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "P\trunq\tGs run/s\tsteals in/s\tout/s\tparks/s\tspins/s\tpreempt/s\thandoffs/s\tsyscalls/s\t")
	var sum sampleRates
	runq := 0
	for i, p := range ps {
		runq += p.RunqGs
		if !ok {
			fmt.Fprintf(tw, "%s\t%d\t-\t-\t-\t-\t-\t-\t-\t-\t\n", names[i], p.RunqGs)
			continue
		}
		r := rates[i]
		sum = addRates(sum, r)
		fmt.Fprintf(tw, "%s\t%d\t%s\n", names[i], p.RunqGs, rateCells(r))
	}
	if ok {
		fmt.Fprintf(tw, "all\t%d\t%s\n", runq, rateCells(sum))
	}
	tw.Flush()
	tot := st.Total()
	fmt.Fprintf(&b, "global queue %d   idle Ms %d   spinning Ms %d   Gs run %d   stolen %d   latency p50 <= %v  p99 <= %v\n",
		st.GlobalQueueGs, st.IdleMs, st.SpinningMs, tot.RanGs, tot.StolenGs, st.SchedLatency.Quantile(0.5), st.SchedLatency.Quantile(0.99))
	b.WriteString(renderHeatMap(st, ps, names))
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
}

func addRates(a, b sampleRates) sampleRates {
	return sampleRates{a.ran + b.ran, a.in + b.in, a.out + b.out, a.parks + b.parks, a.spins + b.spins,
		a.preempt + b.preempt, a.handoffs + b.handoffs, a.syscalls + b.syscalls}
}

// rateCells formats a row's rates as tab-separated cells.
func rateCells(r sampleRates) string {
	return strings.Join([]string{humanCount(r.ran), humanCount(r.in), humanCount(r.out), humanCount(r.parks),
		humanCount(r.spins), humanCount(r.preempt), humanCount(r.handoffs), humanCount(r.syscalls)}, "\t") + "\t"
}

// renderHeatMap draws the steal matrix since the runtime started, one
// character per cell, darker (further along heatRamp) for more Gs.
func renderHeatMap(st *usched.Stats, ps []usched.PStats, names []string) string {
	var peak uint64
	cell := func(v, t int) uint64 {
		if v < len(st.StealMatrix) && t < len(st.StealMatrix[v]) {
			return st.StealMatrix[v][t]
		}
		return 0
	}
	for _, v := range ps {
		for _, t := range ps {
			if v.P != t.P {
				peak = max(peak, cell(v.P, t.P))
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "steal matrix since the runtime started (row: victim, column: thief; %q by Gs, %c = %d)\n", heatRamp, heatRamp[len(heatRamp)-1], peak)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	fmt.Fprintf(&b, "%*s", width+2, "")
	for _, n := range names {
		fmt.Fprintf(&b, " %*s", width, n)
	}
	b.WriteByte('\n')
	for i, v := range ps {
		fmt.Fprintf(&b, "  %*s", width, names[i])
		for _, t := range ps {
			c := byte(heatSelf)
			if v.P != t.P {
				c = heatChar(cell(v.P, t.P), peak)
			}
			fmt.Fprintf(&b, " %*c", width, c)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// heatChar picks n's character of heatRamp: ' ' for none, the last for
// the peak. The square root spreads the low end, as in the HTML report's
// heat map: steal counts are skewed, and one busy pair of Ps would
// otherwise leave every other cell blank.
func heatChar(n, peak uint64) byte {
	if n == 0 || peak == 0 {
		return heatRamp[0]
	}
	f := math.Sqrt(float64(n) / float64(peak))
	i := 1 + int(f*float64(len(heatRamp)-2)+0.5)
	return heatRamp[min(i, len(heatRamp)-1)]
}

// renderProfileLine is the view of cur off a terminal: one line, with
// per-P lists for the queue and the steals, sums for the rest.
func renderProfileLine(prev, cur *usched.Sample, at time.Duration) string {
	st := &cur.Stats
	ps, _ := viewPs(st)
	rates, ok := ratesOf(prev, cur, ps)
	list := func(f func(i int) string) string {
		parts := make([]string, len(ps))
		for i := range ps {
			parts[i] = f(i)
		}
		return strings.Join(parts, ",")
	}
	line := fmt.Sprintf("profile %v %s: runq %s", at.Round(time.Millisecond), cur.Run, list(func(i int) string { return fmt.Sprint(ps[i].RunqGs) }))
	if !ok {
		return line + " | runtime started"
	}
	var sum sampleRates
	for _, r := range rates {
		sum = addRates(sum, r)
	}
	return line + fmt.Sprintf(" | Gs/s %s | in/s %s | out/s %s | parks/s %s | spins/s %s | preempt/s %s | handoffs/s %s | syscalls/s %s",
		list(func(i int) string { return humanCount(rates[i].ran) }),
		list(func(i int) string { return humanCount(rates[i].in) }),
		list(func(i int) string { return humanCount(rates[i].out) }),
		humanCount(sum.parks), humanCount(sum.spins), humanCount(sum.preempt), humanCount(sum.handoffs), humanCount(sum.syscalls))
}

// clip shortens s to n bytes or so, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
