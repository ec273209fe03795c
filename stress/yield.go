package stress

// The yield storm: groups of up to 64 Gs that each call G.Yield one to
// eight times, so that every M's resume queue holds suspended Gs
// interleaved with unstarted ones, and Gs resume on whichever M holds
// them. A root spawns its yielders with G.Go and yields once itself,
// halfway through spawning.
//
// A G that yields gets a stack of its own (a few KB) until it ends, and a
// root's children all start before the first of them resumes; so the
// roots are submitted in rounds of at most yieldRoundGs Gs, each ended by
// Runtime.Wait, which bounds the memory of the stacks alive at once.
//
// Besides the common checks: a G's ID is the same before and after each
// Yield (a descriptor recycled while its G was suspended would show
// another), each root's Gs all finished (a G suspended and never resumed
// would not), and Stats counts at least every Yield call.

import (
	"fmt"
	"sync/atomic"

	"github.com/usched/usched"
)

var yieldScenario = &Scenario{
	Name:    "yield",
	Summary: "yield storm: groups of up to 64 Gs call G.Yield 1 to 8 times each, interleaved on every M",
	prepare: prepareYield,
}

const (
	yieldMaxChildren = 63   // yielders per root
	yieldMaxCalls    = 8    // Yield calls per yielder, drawn from [1, yieldMaxCalls]
	yieldRoundGs     = 8192 // Gs per round at most
)

type yieldRoot struct {
	lo, hi int          // G numbers: the root (lo) and its yielders
	done   atomic.Int32 // Gs of the root that finished their Yield calls
}

type yieldWorkload struct {
	size   int
	roots  []*yieldRoot
	calls  []uint8 // Yield calls of G number n
	rounds [][]*yieldRoot
	total  uint64 // Yield calls in all
}

func prepareYield(e *env) workload {
	w := &yieldWorkload{size: e.opts.Size, calls: make([]uint8, e.opts.Size)}
	var round []*yieldRoot
	roundGs := 0
	for lo := 0; lo < w.size; {
		hi := min(w.size, lo+2+e.rng.IntN(yieldMaxChildren))
		r := &yieldRoot{lo: lo, hi: hi}
		w.calls[lo] = 1 // the root's one Yield
		for n := lo + 1; n < hi; n++ {
			w.calls[n] = uint8(1 + e.rng.IntN(yieldMaxCalls))
		}
		if roundGs+hi-lo > yieldRoundGs && len(round) > 0 {
			w.rounds = append(w.rounds, round)
			round, roundGs = nil, 0
		}
		round = append(round, r)
		roundGs += hi - lo
		w.roots = append(w.roots, r)
		lo = hi
	}
	w.rounds = append(w.rounds, round)
	for _, c := range w.calls {
		w.total += uint64(c)
	}
	e.newSlots(w.size)
	e.want.gs = uint64(w.size)
	e.want.yieldCalls = w.total
	e.kind = func(n int) string {
		for _, r := range w.roots {
			if n == r.lo {
				return "yield root"
			}
			if n < r.hi {
				return fmt.Sprintf("yielder of root G %d", r.lo)
			}
		}
		return "?"
	}
	return w
}

func (w *yieldWorkload) describe() string {
	return fmt.Sprintf("%d Gs = %d roots with up to %d yielders each, %d Yield calls, in %d rounds",
		w.size, len(w.roots), yieldMaxChildren, w.total, len(w.rounds))
}

func (w *yieldWorkload) run(e *env) {
	for i, round := range w.rounds {
		for _, r := range round {
			e.submit(func(gp *usched.G) { w.root(e, gp, r) })
		}
		e.waitErr(fmt.Sprintf("yield round %d", i))
	}
	for _, r := range w.roots {
		if got, want := r.done.Load(), int32(r.hi-r.lo); got != want {
			e.failf("yield root G %d: %d of its %d Gs finished their Yield calls", r.lo, got, want)
		}
	}
}

func (w *yieldWorkload) root(e *env, gp *usched.G, r *yieldRoot) {
	if !e.mark(r.lo) {
		return
	}
	half := r.lo + (r.hi-r.lo)/2
	for n := r.lo + 1; n < r.hi; n++ {
		gp.Go(func(gp *usched.G) { w.yielder(e, gp, r, n) })
		if n == half {
			w.yield(e, gp, r.lo)
		}
	}
	if r.hi-r.lo < 2 { // no child, so none was at half: yield anyway
		w.yield(e, gp, r.lo)
	}
	r.done.Add(1)
}

func (w *yieldWorkload) yielder(e *env, gp *usched.G, r *yieldRoot, n int) {
	if !e.mark(n) {
		return
	}
	for range w.calls[n] {
		w.yield(e, gp, n)
	}
	r.done.Add(1)
}

// yield calls gp.Yield and checks that gp is still itself afterwards.
func (w *yieldWorkload) yield(e *env, gp *usched.G, n int) {
	id := gp.ID()
	gp.Yield()
	if got := gp.ID(); got != id {
		e.failf("G %d: G.ID changed across Yield from %#x to %#x", n, id, got)
	}
}
