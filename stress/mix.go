package stress

// The mix: the workload "usched stress" has always run, a seeded mix of
// the three shapes of work a user-level scheduler must get right.
//
//   - Spawn storm (40% of the Gs): root Gs that each spawn 500 to 2000
//     children with G.Go. The children pile up in one P's deque, so the
//     other Ps must steal them.
//   - Fork-join trees (40%): random trees (fan-out and depth drawn from
//     the seed) in which every node spawns its children in a usched.Group
//     and joins them with Group.Wait. This exercises the work-first join
//     (Wait runs children inline), suspension when a child was stolen, and
//     wake-ups across Ms.
//   - Yields (20%): Gs that call G.Yield a few times, so that suspended
//     Gs and unstarted Gs interleave on every M's resume queue.
//
// The roots of the three kinds are shuffled together and started in
// rounds, each ended by Runtime.Wait. Even rounds are submitted with
// Runtime.Go from two goroutines (the global queue); in odd rounds one
// submitted root spawns all the others with G.Go, so the round starts in a
// single P's deque and the other Ps must steal it.
//
// Besides the common checks: after each round's Wait every G of that
// round has run; after Group.Wait every child has run and the subtree
// sizes the children wrote (plain stores, ordered only by Wait) add up; a
// G's ID is the same before and after Yield.

import (
	"fmt"
	"sync"
	"time"

	"github.com/usched/usched"
)

var mixScenario = &Scenario{
	Name:    "mix",
	Summary: "the default: 40% spawn storm, 40% fork-join trees, 20% yields, in 16 rounds from outside and inside",
	prepare: prepareMix,
}

// Shares of the G budget, in percent. Yields take the rest.
const (
	mixStormShare = 40
	mixTreeShare  = 40
)

// Shape parameters, drawn uniformly from these ranges by the seed.
const (
	mixStormMinChildren = 500  // children per spawn-storm root: at least ...
	mixStormMaxChildren = 2000 // ... and at most
	mixTreeMaxDepth     = 12   // levels below a tree's root
	mixTreeMaxFanout    = 8    // a tree's fan-out limit is drawn from [1, mixTreeMaxFanout]
	mixTreeMaxNodes     = 4096 // nodes per tree
	mixYieldMaxChildren = 63   // children per yield root
	mixYieldMaxCalls    = 4    // Yield calls per yielding child, drawn from [1, mixYieldMaxCalls]
	mixRounds           = 16   // rounds of submission, each ended by Runtime.Wait
)

func prepareMix(e *env) workload {
	pl := newMixPlan(e.opts.Size, e)
	m := &mixRun{pl: pl, subtree: make([]int32, len(pl.nodes))}
	e.newSlots(pl.total())
	e.kind = pl.slotKind
	e.want.gs = uint64(pl.total())
	e.want.yieldCalls = pl.yieldCalls
	return m
}

// mixRun is a mix plan being run.
type mixRun struct {
	pl *mixPlan
	// subtree[i] is written by tree node i when it finishes, with plain
	// stores: the size of its subtree as it counted it. Its parent reads it
	// after Group.Wait, which must order the two (the race detector checks
	// that, and the value checks that Wait did not return early).
	subtree []int32
}

func (m *mixRun) describe() string { return m.pl.describe() }

func (m *mixRun) run(e *env) {
	pl := m.pl
	if got := pl.total(); got != pl.gs {
		// A bug in the plan, not in the runtime; still a broken invariant.
		e.failf("the plan has %d Gs, want %d", got, pl.gs)
	}
	// The roots are started in rounds, each followed by Runtime.Wait, so
	// that each Wait is checked on its own: every G of the round must have
	// run when it returns. Even rounds are submitted from outside, odd
	// rounds spawned from inside (see localRound): with a full global
	// queue no P ever runs dry, so only the second kind makes Ps steal
	// much.
	for r := range pl.rounds {
		roots := pl.roundRoots(r)
		if pl.localRound(r) {
			// One root comes in through the global queue and spawns the
			// rest of the round with G.Go: the whole round starts in one
			// P's deque, and the other Ps must steal it.
			first, rest := m.rootFn(e, roots[0]), roots[1:]
			e.submit(func(gp *usched.G) {
				for _, ref := range rest {
					gp.Go(m.rootFn(e, ref))
				}
				first(gp)
			})
		} else {
			// Submit from two goroutines at once, so that Runtime.Go
			// races with itself as well as with the Ms taking from the
			// global queue.
			const submitters = 2
			var wg sync.WaitGroup
			for j := range submitters {
				wg.Go(func() {
					for k := j; k < len(roots); k += submitters {
						e.submit(m.rootFn(e, roots[k]))
					}
				})
			}
			wg.Wait()
		}
		e.waitErr(fmt.Sprintf("round %d", r))
		t := time.Now()
		m.checkRound(e, r, roots)
		e.checking += time.Since(t)
	}
	for _, root := range pl.treeRoots {
		if got, want := m.subtree[root], pl.nodes[root].size; got != want {
			e.failf("fork-join tree at G %d counted %d nodes, want %d", pl.treeBase+int(root), got, want)
		}
	}
}

// checkRound checks, after round r's Runtime.Wait, that every G of the
// round's roots (the roots and all they spawned) has run.
func (m *mixRun) checkRound(e *env, r int, roots []mixRootRef) {
	for _, ref := range roots {
		lo, hi := m.pl.rootSlots(ref)
		for slot := lo; slot < hi; slot++ {
			if e.slots[slot].Load() == 0 {
				e.failf("round %d: Runtime.Wait returned before %s ran", r, e.describeG(slot))
				return
			}
		}
	}
}

// rootFn returns the function of root ref.
func (m *mixRun) rootFn(e *env, ref mixRootRef) func(*usched.G) {
	pl := m.pl
	switch ref.kind {
	case mixRootStorm:
		sr := pl.stormRoots[ref.i]
		return func(gp *usched.G) { m.stormRoot(e, gp, sr) }
	case mixRootTree:
		i := pl.treeRoots[ref.i]
		return func(gp *usched.G) { m.treeNode(e, gp, i) }
	default:
		yr := pl.yieldRoots[ref.i]
		return func(gp *usched.G) { m.yieldRoot(e, gp, yr) }
	}
}

func (m *mixRun) stormRoot(e *env, gp *usched.G, sr mixStormRoot) {
	if !e.mark(int(sr.slot)) {
		return
	}
	for c := sr.slot + 1; c <= sr.slot+sr.children; c++ {
		gp.Go(func(*usched.G) { e.mark(int(c)) })
	}
}

func (m *mixRun) treeNode(e *env, gp *usched.G, i int32) {
	pl := m.pl
	if !e.mark(pl.treeBase + int(i)) {
		return
	}
	nd := pl.nodes[i]
	size := int32(1)
	if nd.n > 0 {
		var grp usched.Group
		for c := nd.first; c < nd.first+nd.n; c++ {
			grp.Go(gp, func(gp *usched.G) { m.treeNode(e, gp, c) })
		}
		if err := grp.Wait(gp); err != nil {
			e.failf("fork-join node G %d: Group.Wait returned %v", pl.treeBase+int(i), oneLine(err))
		}
		for c := nd.first; c < nd.first+nd.n; c++ {
			if n := e.slots[pl.treeBase+int(c)].Load(); n == 0 {
				e.failf("fork-join node G %d: Group.Wait returned before child G %d ran", pl.treeBase+int(i), pl.treeBase+int(c))
			}
			size += m.subtree[c]
		}
	}
	m.subtree[i] = size
	if size != nd.size {
		e.failf("fork-join node G %d: subtree counted %d Gs after Group.Wait, want %d", pl.treeBase+int(i), size, nd.size)
	}
}

func (m *mixRun) yieldRoot(e *env, gp *usched.G, yr mixYieldRoot) {
	if !e.mark(int(yr.slot)) {
		return
	}
	half := yr.slot + yr.children/2
	for c := yr.slot + 1; c <= yr.slot+yr.children; c++ {
		gp.Go(func(gp *usched.G) { m.yielder(e, gp, int(c)) })
		if c == half {
			m.yield(e, gp, int(yr.slot))
		}
	}
	if yr.children < 2 {
		m.yield(e, gp, int(yr.slot))
	}
}

func (m *mixRun) yielder(e *env, gp *usched.G, slot int) {
	if !e.mark(slot) {
		return
	}
	for range m.pl.yieldsPer[slot-m.pl.yieldBase] {
		m.yield(e, gp, slot)
	}
}

// yield calls gp.Yield and checks that gp is still itself afterwards: a
// descriptor recycled while its G was suspended would show a new ID.
func (m *mixRun) yield(e *env, gp *usched.G, slot int) {
	id := gp.ID()
	gp.Yield()
	if got := gp.ID(); got != id {
		e.failf("yielding G %d: G.ID changed across Yield from %#x to %#x", slot, id, got)
	}
}
