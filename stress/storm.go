package stress

// The spawn storm: a few root Gs spawn most of the workload with G.Go,
// while outside goroutines submit the rest with Runtime.Go at the same
// time.
//
// A root's children all start in its P's deque, so the other Ps must steal
// nearly every one of them; half the roots spawn their children directly
// (one deep pile-up), the other half through chunk leaders that spawn 256
// Gs each (spawning itself moves to the thieves). The outside submitters
// fill the global queue meanwhile, so every P has two sources of work and
// Runtime.Go races with G.Go, with the Ms and with itself.

import (
	"fmt"
	"sync"

	"github.com/usched/usched"
)

var stormScenario = &Scenario{
	Name:    "storm",
	Summary: "spawn storm: a few roots spawn most Gs with G.Go while 4 goroutines submit the rest with Runtime.Go",
	prepare: prepareStorm,
}

const (
	stormSubmitters = 4   // outside goroutines calling Runtime.Go
	stormChunk      = 256 // Gs a chunk leader spawns, itself included
	stormMaxRoots   = 8
)

// stormRoot is a root G: G numbers [lo, hi) are it (lo) and what it
// spawns, directly (flat) or through chunk leaders.
type stormRoot struct {
	lo, hi int
	flat   bool
}

type stormWorkload struct {
	roots   []stormRoot
	outLo   int // G numbers [outLo, size) are submitted from outside
	size    int
	nameMap parts
}

func prepareStorm(e *env) workload {
	size := e.opts.Size
	w := &stormWorkload{size: size}
	inside := size / 2
	if size < 4 {
		inside = size // too small to split: roots only
	}
	nroots := min(inside, 2+e.rng.IntN(stormMaxRoots-1))
	for i := range nroots {
		lo, hi := i*inside/nroots, (i+1)*inside/nroots
		r := stormRoot{lo: lo, hi: hi, flat: i%2 == 0}
		w.roots = append(w.roots, r)
		w.nameMap.add(lo, "storm root")
		if r.flat {
			w.nameMap.add(lo+1, "child of a flat storm root")
		} else {
			w.nameMap.add(lo+1, "chunk leader or its child")
		}
	}
	w.outLo = inside
	w.nameMap.add(inside, "G submitted from outside")
	e.newSlots(size)
	e.kind = w.nameMap.kind
	e.want.gs = uint64(size)
	return w
}

func (w *stormWorkload) describe() string {
	return fmt.Sprintf("%d Gs = %d from %d storm roots (half flat, half through chunk leaders of %d) + %d submitted by %d goroutines",
		w.size, w.outLo, len(w.roots), stormChunk, w.size-w.outLo, stormSubmitters)
}

func (w *stormWorkload) run(e *env) {
	var wg sync.WaitGroup
	for j := range stormSubmitters {
		lo := w.outLo + j*(w.size-w.outLo)/stormSubmitters
		hi := w.outLo + (j+1)*(w.size-w.outLo)/stormSubmitters
		wg.Go(func() {
			for n := lo; n < hi; n++ {
				e.submit(func(*usched.G) { e.mark(n) })
			}
		})
	}
	for _, r := range w.roots {
		e.submit(func(gp *usched.G) { w.root(e, gp, r) })
	}
	wg.Wait()
	e.waitErr("storm")
}

func (w *stormWorkload) root(e *env, gp *usched.G, r stormRoot) {
	if !e.mark(r.lo) {
		return
	}
	if r.flat {
		for n := r.lo + 1; n < r.hi; n++ {
			gp.Go(func(*usched.G) { e.mark(n) })
		}
		return
	}
	for lead := r.lo + 1; lead < r.hi; lead += stormChunk {
		end := min(lead+stormChunk, r.hi)
		gp.Go(func(gp *usched.G) {
			if !e.mark(lead) {
				return
			}
			for n := lead + 1; n < end; n++ {
				gp.Go(func(*usched.G) { e.mark(n) })
			}
		})
	}
}
