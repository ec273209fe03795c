package stress

// What the hogs and polling scenarios share: Gs that run for tens of
// milliseconds (long Gs) among many that run for about a microsecond
// (short Gs), and the spin loop that keeps a CPU busy without polling.
//
// Each of L roots (L = twice the Ps) spawns its share of the short Gs and
// then its long G, which, spawned last, is its P's runnext: the long G
// runs next, with the short Gs queued behind it, on every P at once. The
// short Gs then get a CPU only when a long G polls and yields (polling),
// when the preemption watcher hands the P to a spare M (hogs), or when
// the long G ends. Whether and when that happens is timing, which the
// tests do not assert; that every G runs exactly once and every long G
// finishes is asserted, with or without preemption.

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usched/usched"
)

// Long Gs run for a duration drawn from [longMin, longMax].
const (
	longMin = 20 * time.Millisecond
	longMax = 50 * time.Millisecond
	// shortSpin is the work of a short G, in spin iterations: about a
	// microsecond, so that the short Gs take the CPU long enough to be
	// seen in the scheduling latency.
	shortSpin = 1000
	// pollEvery is the spin iterations between two polls of a polling
	// long G: a few microseconds, far below any quantum.
	pollEvery = 4096
)

type longRoot struct {
	lo, hi int // G numbers: the root (lo), its short Gs, its long G (hi-1)
	iters  uint64
}

type longWorkload struct {
	poll  bool // the long Gs call G.Check (polling) or never poll (hogs)
	size  int
	roots []longRoot
	// done[i] is set when root i's long G has run all its iterations.
	done []atomic.Bool
	// sum keeps the spin loops' results alive, so the compiler cannot
	// drop them.
	sum atomic.Uint64
	// longMs is the duration each long G was drawn to run, for the report.
	longMs []int
}

// prepareLong draws a long workload; procs sizes it before the runtime,
// which says its own Procs only once it exists.
func prepareLong(e *env, poll bool) *longWorkload {
	procs := e.opts.Config.Procs
	if procs <= 0 {
		procs = runtime.NumCPU()
	}
	nl := max(1, min(2*procs, e.opts.Size/2))
	shorts := max(0, e.opts.Size-2*nl)
	w := &longWorkload{poll: poll, done: make([]atomic.Bool, nl)}
	perMs := spinPerMillisecond()
	lo := 0
	for i := range nl {
		ms := int(longMin/time.Millisecond) + e.rng.IntN(int((longMax-longMin)/time.Millisecond)+1)
		n := shorts/nl + btoi(i < shorts%nl)
		w.roots = append(w.roots, longRoot{lo: lo, hi: lo + n + 2, iters: uint64(ms) * perMs})
		w.longMs = append(w.longMs, ms)
		lo += n + 2
	}
	w.size = lo
	e.newSlots(w.size)
	e.want.gs = uint64(w.size)
	e.kind = func(n int) string {
		for _, r := range w.roots {
			switch {
			case n == r.lo:
				return "root"
			case n == r.hi-1:
				return "long G"
			case n < r.hi:
				return "short G"
			}
		}
		return "?"
	}
	return w
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (w *longWorkload) describe() string {
	kind := "hogs that never poll"
	if w.poll {
		kind = "long Gs that call G.Check every few microseconds"
	}
	return fmt.Sprintf("%d Gs = %d %s (%v ms) + %d short Gs behind them + %d roots",
		w.size, len(w.roots), kind, w.longMs, w.size-2*len(w.roots), len(w.roots))
}

func (w *longWorkload) run(e *env) {
	for i := range w.roots {
		e.submit(func(gp *usched.G) { w.root(e, gp, i) })
	}
	e.waitErr("long Gs")
	unfinished := 0
	for i := range w.done {
		if !w.done[i].Load() {
			unfinished++
		}
	}
	name := "every hog completes"
	if w.poll {
		name = "every polling G completes"
	}
	e.check(name, unfinished == 0, "%d of %d long Gs finished", len(w.done)-unfinished, len(w.done))

	st := e.rt.Stats()
	pr := st.Preemption
	if pr.Mode == "off" {
		e.note("preemption off: %d polls yielded", st.Total().Preemptions)
		return
	}
	e.note("preemption %s, quantum %v: %d Gs flagged, %d polls yielded (Preemptions), %d escalated, %d handed to spare Ms, %d found no spare free",
		pr.Mode, pr.Quantum, pr.FlaggedGs, st.Total().Preemptions, pr.Escalations, pr.Handoffs, pr.SpareMisses)
}

func (w *longWorkload) root(e *env, gp *usched.G, i int) {
	r := w.roots[i]
	if !e.mark(r.lo) {
		return
	}
	for n := r.lo + 1; n < r.hi-1; n++ {
		gp.Go(func(*usched.G) {
			if e.mark(n) {
				w.sum.Add(spinLoop(shortSpin, uint64(n)))
			}
		})
	}
	// Last, so that it is the P's runnext: it runs before the short Gs.
	gp.Go(func(gp *usched.G) { w.long(e, gp, i) })
}

func (w *longWorkload) long(e *env, gp *usched.G, i int) {
	r := w.roots[i]
	if !e.mark(r.hi - 1) {
		return
	}
	x := uint64(i)
	if !w.poll {
		x = spinLoop(r.iters, x) // never polls: only escalation helps the short Gs
	} else {
		id := gp.ID()
		for left := r.iters; left > 0; {
			k := min(left, pollEvery)
			x = spinLoop(k, x)
			left -= k
			gp.Check()
			if got := gp.ID(); got != id {
				e.failf("long G %d: G.ID changed across Check from %#x to %#x", r.hi-1, id, got)
				break
			}
		}
	}
	w.sum.Add(x)
	w.done[i].Store(true)
}

// spinLoop runs n steps of a linear congruential generator from x and
// returns the result. It calls nothing and touches no memory, so a G in
// it never reaches a poll: the hog the hogs scenario needs. The result
// must be used, or the compiler could drop the loop.
//
//go:noinline
func spinLoop(n, x uint64) uint64 {
	for ; n > 0; n-- {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

var spinCalibration = sync.OnceValue(func() uint64 {
	// The fastest of a few timings: an interrupted one only overstates
	// the time per step.
	const n = 1 << 22
	best := time.Duration(1 << 62)
	var x uint64
	for range 5 {
		start := time.Now()
		x = spinLoop(n, x)
		best = min(best, time.Since(start))
	}
	if x == 42 { // never, in practice: keeps x alive
		best++
	}
	return max(1, uint64(float64(n)*float64(time.Millisecond)/float64(max(best, 1))))
})

// spinPerMillisecond returns the spinLoop steps that take about a
// millisecond of CPU on this machine, measured once per process.
func spinPerMillisecond() uint64 { return spinCalibration() }
