package stress

// The mix's mixPlan: the shape of the work, drawn from the seed before the
// runtime starts, and the numbering of its Gs.

import "fmt"

// mixStormRoot is a root G that spawns children; its own slot is slot, its
// children's are slot+1 .. slot+children.
type mixStormRoot struct{ slot, children int32 }

// mixTreeNode is a node of a fork-join tree. Nodes are stored in BFS order,
// so a node's children are nodes first .. first+n-1 and come after it.
type mixTreeNode struct {
	first, n int32
	size     int32 // nodes in the subtree rooted here, itself included
}

// mixYieldRoot is a root G that spawns children that yield; it yields once
// itself, halfway through spawning.
type mixYieldRoot struct{ slot, children int32 }

type mixRootKind uint8

const (
	mixRootStorm mixRootKind = iota
	mixRootTree
	mixRootYield
)

// mixRootRef names a root G to submit: its kind and its index in the mixPlan's
// list of that kind.
type mixRootRef struct {
	kind mixRootKind
	i    int32
}

// mixPlan is the workload, drawn from the seed before the runtime starts.
type mixPlan struct {
	gs   int
	seed uint64

	stormGs    int
	stormRoots []mixStormRoot

	treeBase  int           // slot of nodes[0]
	nodes     []mixTreeNode // all trees, BFS order each
	treeRoots []int32       // index in nodes of each tree's root
	treeDepth int           // deepest level of any tree (root: 0)

	yieldBase  int
	yieldRoots []mixYieldRoot
	yieldsPer  []uint8 // Yield calls of each yield G, indexed by slot-yieldBase
	yieldCalls uint64  // total Yield calls the workload makes

	roots  []mixRootRef // submission order, shuffled
	rounds int          // roots are submitted in this many rounds, with a Wait after each
}

// newMixPlan draws a plan of gs Gs from e's generator.
func newMixPlan(gs int, e *env) *mixPlan {
	r := e.rng
	pl := &mixPlan{gs: gs, seed: e.opts.Seed}
	pl.stormGs = gs * mixStormShare / 100
	treeGs := gs * mixTreeShare / 100
	yieldGs := gs - pl.stormGs - treeGs

	// Spawn storm.
	for slot, left := 0, pl.stormGs; left > 0; {
		k := min(left, 1+mixStormMinChildren+r.IntN(mixStormMaxChildren-mixStormMinChildren+1))
		pl.stormRoots = append(pl.stormRoots, mixStormRoot{slot: int32(slot), children: int32(k - 1)})
		slot += k
		left -= k
	}

	// Fork-join trees, generated breadth first with a node cap each.
	pl.treeBase = pl.stormGs
	pl.nodes = make([]mixTreeNode, 0, treeGs)
	var depth []uint8 // depth of each node, for generation only
	for left := treeGs; left > 0; {
		maxDepth := 1 + r.IntN(mixTreeMaxDepth)
		fanout := 1 + r.IntN(mixTreeMaxFanout)
		limit := min(left, 1+r.IntN(mixTreeMaxNodes))
		root := len(pl.nodes)
		pl.treeRoots = append(pl.treeRoots, int32(root))
		pl.nodes = append(pl.nodes, mixTreeNode{})
		depth = append(depth, 0)
		for i := root; i < len(pl.nodes) && len(pl.nodes)-root < limit; i++ {
			d := int(depth[i])
			if d >= maxDepth {
				continue
			}
			f := min(r.IntN(fanout+1), limit-(len(pl.nodes)-root))
			pl.nodes[i].first, pl.nodes[i].n = int32(len(pl.nodes)), int32(f)
			for range f {
				pl.nodes = append(pl.nodes, mixTreeNode{})
				depth = append(depth, uint8(d+1))
			}
			pl.treeDepth = max(pl.treeDepth, d+min(f, 1))
		}
		left -= len(pl.nodes) - root
	}
	for i := len(pl.nodes) - 1; i >= 0; i-- {
		nd := &pl.nodes[i]
		nd.size = 1
		for c := nd.first; c < nd.first+nd.n; c++ {
			nd.size += pl.nodes[c].size
		}
	}

	// Yields.
	pl.yieldBase = pl.treeBase + len(pl.nodes)
	pl.yieldsPer = make([]uint8, yieldGs)
	for slot, left := 0, yieldGs; left > 0; {
		k := min(left, 1+1+r.IntN(mixYieldMaxChildren))
		pl.yieldRoots = append(pl.yieldRoots, mixYieldRoot{slot: int32(pl.yieldBase + slot), children: int32(k - 1)})
		pl.yieldsPer[slot] = 1 // the root's one Yield
		for c := 1; c < k; c++ {
			pl.yieldsPer[slot+c] = uint8(1 + r.IntN(mixYieldMaxCalls))
		}
		slot += k
		left -= k
	}
	for _, n := range pl.yieldsPer {
		pl.yieldCalls += uint64(n)
	}

	// Submission order: the three kinds interleaved at random, so that
	// they run at the same time.
	for i := range pl.stormRoots {
		pl.roots = append(pl.roots, mixRootRef{mixRootStorm, int32(i)})
	}
	for i := range pl.treeRoots {
		pl.roots = append(pl.roots, mixRootRef{mixRootTree, int32(i)})
	}
	for i := range pl.yieldRoots {
		pl.roots = append(pl.roots, mixRootRef{mixRootYield, int32(i)})
	}
	r.Shuffle(len(pl.roots), func(i, j int) { pl.roots[i], pl.roots[j] = pl.roots[j], pl.roots[i] })

	pl.rounds = min(mixRounds, len(pl.roots))
	return pl
}

// rootSlots returns the G numbers [lo, hi) of root ref and of every G it
// spawns, directly or not: each root's Gs are numbered contiguously.
func (pl *mixPlan) rootSlots(ref mixRootRef) (lo, hi int) {
	switch ref.kind {
	case mixRootStorm:
		sr := pl.stormRoots[ref.i]
		return int(sr.slot), int(sr.slot+sr.children) + 1
	case mixRootTree:
		root := pl.treeRoots[ref.i]
		lo = pl.treeBase + int(root)
		return lo, lo + int(pl.nodes[root].size)
	default:
		yr := pl.yieldRoots[ref.i]
		return int(yr.slot), int(yr.slot+yr.children) + 1
	}
}

// roundRoots returns the roots of round r.
func (pl *mixPlan) roundRoots(r int) []mixRootRef {
	return pl.roots[r*len(pl.roots)/pl.rounds : (r+1)*len(pl.roots)/pl.rounds]
}

// localRound reports whether round r is launched from inside the runtime
// (one submitted root spawns the others) rather than submitted from
// outside. Odd rounds are.
func (pl *mixPlan) localRound(r int) bool { return r%2 == 1 }

// total returns the number of Gs the mixPlan runs; it must equal gs.
func (pl *mixPlan) total() int {
	n := len(pl.nodes) + len(pl.yieldsPer)
	for _, sr := range pl.stormRoots {
		n += 1 + int(sr.children)
	}
	return n
}

func (pl *mixPlan) describe() string {
	return fmt.Sprintf("%d Gs in %d rounds = spawn storm %d (%d roots) + fork-join %d (%d trees, depth <= %d) + yields %d (%d roots, %d Yield calls)",
		pl.gs, pl.rounds, pl.stormGs, len(pl.stormRoots), len(pl.nodes), len(pl.treeRoots), pl.treeDepth,
		len(pl.yieldsPer), len(pl.yieldRoots), pl.yieldCalls)
}

// slotKind describes which part of the workload G number slot belongs to,
// for failure messages.
func (pl *mixPlan) slotKind(slot int) string {
	switch {
	case slot < pl.treeBase:
		for _, sr := range pl.stormRoots {
			if slot == int(sr.slot) {
				return "spawn-storm root"
			}
		}
		return "spawn-storm child"
	case slot < pl.yieldBase:
		return "fork-join node"
	}
	for _, yr := range pl.yieldRoots {
		if slot == int(yr.slot) {
			return "yield root"
		}
	}
	return "yielding child"
}
