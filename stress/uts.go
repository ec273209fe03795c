package stress

// The UTS scenarios: the published trees T1 and T3 (see uts_tree.go),
// one G per node, each node spawning its children in a usched.Group and
// joining them. T1 is wide and shallow (depth 10, about 4 children per
// node); T3 is a near-critical binomial tree whose 2000 subtrees differ
// in size by orders of magnitude and reach thousands of levels: work that
// no static split balances, so the Ps must steal throughout.
//
// Before the runtime starts, the tree is generated sequentially once.
// That pass gives each node a number (its position in preorder) and the
// size of its subtree, so that in the parallel run a node knows its
// children's numbers without any shared counter (child i's number is the
// node's plus one plus the sizes of children 0 .. i-1), and each G marks
// its own counter. The oracles are the published node count, which the
// sequential pass must reproduce (it checks the generator) and the
// parallel run must reproduce (it checks the runtime), and the subtree
// sizes each node adds up after Group.Wait, which must equal the
// sequential pass's.

import (
	"fmt"

	"github.com/usched/usched"
)

var (
	utsT1Scenario = &Scenario{
		Name:        "uts-t1",
		Summary:     "UTS tree T1 (geometric, -t 1 -a 3 -d 10 -b 4 -r 19), a G per node; the oracle is the published 4,130,071 nodes",
		SizeIgnored: true,
		prepare:     func(e *env) workload { return prepareUTS(e, UTST1) },
	}
	utsT3Scenario = &Scenario{
		Name:        "uts-t3",
		Summary:     "UTS tree T3 (binomial, -t 0 -b 2000 -q 0.124875 -m 8 -r 42), a G per node; the oracle is the published 4,112,897 nodes",
		SizeIgnored: true,
		prepare:     func(e *env) workload { return prepareUTS(e, UTST3) },
	}
)

type utsWorkload struct {
	tree UTSTree
	// size[n] is the number of nodes in the subtree of node n (numbered
	// in preorder), from the sequential pass; read-only during the run.
	size []int32
	// count[n] is the subtree size node n's G counted after joining its
	// children. Each G writes its own entry with a plain store, and its
	// parent reads it after Group.Wait, which must order the two: the race
	// detector checks that, and the values check that Wait did not return
	// early.
	count    []int32
	maxDepth int
}

func prepareUTS(e *env, tree UTSTree) workload {
	size, depth := tree.sequential()
	w := &utsWorkload{tree: tree, size: size, count: make([]int32, len(size)), maxDepth: depth}
	e.newSlots(len(size))
	e.want.gs = uint64(len(size))
	e.kind = func(n int) string { return "node " + fmt.Sprint(n) + " in preorder" }
	return w
}

// sequential generates the tree in preorder, one node at a time, and
// returns the subtree size of every node by its preorder number, and the
// depth of the deepest node.
func (t *UTSTree) sequential() (size []int32, maxDepth int) {
	type frame struct {
		s          utsState
		n          int32 // preorder number
		d          int32 // depth
		kids, next int32
	}
	root := utsRoot(t.Seed)
	size = make([]int32, 1, max(t.Nodes, 1024))
	stack := []frame{{s: root, kids: int32(t.children(&root, 0))}}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next == top.kids {
			size[top.n] = int32(len(size)) - top.n // its subtree is [n, len(size))
			stack = stack[:len(stack)-1]
			continue
		}
		cs := top.s.spawn(int(top.next))
		top.next++
		d := top.d + 1
		maxDepth = max(maxDepth, int(d))
		n := int32(len(size))
		size = append(size, 0)
		stack = append(stack, frame{s: cs, n: n, d: d, kids: int32(t.children(&cs, int(d)))})
	}
	return size, maxDepth
}

func (w *utsWorkload) describe() string {
	return fmt.Sprintf("UTS %s (%s): %d nodes, one G each, depth %d", w.tree.Name, w.tree.Flags(), len(w.size), w.maxDepth)
}

func (w *utsWorkload) run(e *env) {
	root := utsRoot(w.tree.Seed)
	e.submit(func(gp *usched.G) { w.node(e, gp, 0, root, 0) })
	e.waitErr("uts")

	// The sequential pass checks the generator, the parallel run the
	// runtime: both must reproduce the published count.
	seq, par := len(w.size), int(w.count[0])
	pub := w.tree.Nodes
	switch {
	case pub == 0:
		e.check("UTS node count", par == seq, "%s: parallel run counted %d nodes, the sequential pass %d (no published count)", w.tree.Name, par, seq)
	default:
		e.check("UTS node count", seq == pub && par == pub, "%s: sequential pass %d nodes, parallel run %d, published %d", w.tree.Name, seq, par, pub)
	}
	e.note("UTS %s: %d nodes (published %d), depth %d", w.tree.Name, par, pub, w.maxDepth)
}

// node is the G of node n, with state s at depth d: it marks itself,
// spawns its children in a Group, joins them and adds up their subtree
// sizes.
func (w *utsWorkload) node(e *env, gp *usched.G, n int32, s utsState, d int) {
	if !e.mark(int(n)) {
		return
	}
	k := w.tree.children(&s, d)
	if k == 0 {
		w.count[n] = 1
		return
	}
	var grp usched.Group
	c := n + 1
	for i := range k {
		cs, cn := s.spawn(i), c
		grp.Go(gp, func(gp *usched.G) { w.node(e, gp, cn, cs, d+1) })
		c += w.size[cn]
	}
	if err := grp.Wait(gp); err != nil {
		e.failf("UTS node %d: Group.Wait returned %v", n, oneLine(err))
	}
	total := int32(1)
	for i, c := 0, n+1; i < k; i++ {
		total += w.count[c]
		c += w.size[c]
	}
	w.count[n] = total
	if total != w.size[n] {
		e.failf("UTS node %d: its children's subtrees add up to %d nodes after Group.Wait, want %d", n, total, w.size[n])
	}
}
