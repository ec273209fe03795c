package stress

// Fork-join fib: fib(n) with a fork at every call with n >= 2. A call
// forks one of fib(n-1) and fib(n-2) as a child G, computes the other
// itself, and joins, with a usched.Group or with G.Join. Which of the two
// is forked, and which join is used, is drawn from the seed at each call,
// so the tree is lopsided in a way the seed reproduces.
//
// The oracle is twofold: the value (fib(n), computed in a loop) and the
// number of Gs. A call fib(n) forks F(n) Gs in all, with F(0) = F(1) = 0
// and F(n) = 1 + F(n-1) + F(n-2), so F(n) = fib(n+1) - 1 and a tree is
// fib(n+1) Gs with its root. The Gs are numbered in the order a
// sequential run would fork them: a forked child of fib(a) gets the next
// number, its own forks the fib(a+1) - 1 after it, and the inline call the
// rest; so every G knows its number without any shared counter.

import (
	"fmt"

	"github.com/usched/usched"
)

var fibScenario = &Scenario{
	Name:    "fib",
	Summary: "fork-join fib(n) with usched.Group and G.Join; the oracle is fib(n) and fib(n+1) Gs per tree",
	prepare: prepareFib,
}

// fibMaxN bounds n: fib(47) overflows int32, and a tree of fib(41) Gs is
// already 165 million.
const fibMaxN = 40

type fibWorkload struct {
	n, trees int
	gs       int    // Gs per tree: fib(n+1)
	swapSeed uint64 // draws which half each call forks
	results  []int  // results[t] is tree t's value; written by its root G, read after Wait
}

// fibSeq returns fib(n), computed by iteration: the oracle.
func fibSeq(n int) int {
	a, b := 0, 1
	for range n {
		a, b = b, a+b
	}
	return a
}

// fibGs[n] is the number of Gs of the subtree of a forked fib(n) call, the
// child included: fib(n+1). A table, because every call needs one.
var fibGs = func() (t [fibMaxN + 1]int) {
	for n := range t {
		t[n] = fibSeq(n + 1)
	}
	return t
}()

func prepareFib(e *env) workload {
	n := 1
	for n < fibMaxN && fibSeq(n+2) <= e.opts.Size {
		n++
	}
	w := &fibWorkload{n: n, gs: fibSeq(n + 1), swapSeed: e.rng.Uint64()}
	w.trees = max(1, e.opts.Size/w.gs)
	w.results = make([]int, w.trees)
	e.newSlots(w.trees * w.gs)
	e.want.gs = uint64(w.trees * w.gs)
	e.kind = func(g int) string {
		if g%w.gs == 0 {
			return fmt.Sprintf("root of tree %d", g/w.gs)
		}
		return fmt.Sprintf("fork of tree %d", g/w.gs)
	}
	return w
}

func (w *fibWorkload) describe() string {
	return fmt.Sprintf("%d Gs = %d tree(s) of fib(%d), %d Gs each", w.trees*w.gs, w.trees, w.n, w.gs)
}

func (w *fibWorkload) run(e *env) {
	for t := range w.trees {
		root := t * w.gs
		e.submit(func(gp *usched.G) {
			if !e.mark(root) {
				return
			}
			w.results[t] = w.fib(e, gp, w.n, root+1)
		})
	}
	e.waitErr("fib")
	want := fibSeq(w.n)
	bad := 0
	for t, got := range w.results {
		if got != want {
			if bad == 0 {
				e.check("fib value", false, "tree %d computed fib(%d) = %d, want %d", t, w.n, got, want)
			}
			bad++
		}
	}
	if bad == 0 {
		e.check("fib value", true, "fib(%d) = %d in each of %d tree(s)", w.n, want, w.trees)
	}
	e.note("fib(%d) = %d, %d Gs per tree", w.n, want, w.gs)
}

// fib computes fib(n) in gp; the Gs it forks, directly or not, are
// numbered from base.
func (w *fibWorkload) fib(e *env, gp *usched.G, n, base int) int {
	if n < 2 {
		return n
	}
	fork, inline := n-1, n-2
	h := uint64(base)*0x9E3779B97F4A7C15 ^ w.swapSeed
	if h>>63 != 0 {
		fork, inline = inline, fork
	}
	var x, y int // x is written by the child, read after the join: the join orders the two
	child := func(c *usched.G) {
		if !e.mark(base) {
			return
		}
		x = w.fib(e, c, fork, base+1)
	}
	if h>>62&1 != 0 {
		// Half the calls (drawn from the seed) join with G.Join.
		err := gp.Join(func(c *usched.G) { y = w.fib(e, c, inline, base+fibGs[fork]) }, child)
		if err != nil {
			e.failf("fib(%d) at G %d: G.Join returned %v", n, base, oneLine(err))
		}
		return x + y
	}
	var grp usched.Group
	grp.Go(gp, child)
	y = w.fib(e, gp, inline, base+fibGs[fork])
	if err := grp.Wait(gp); err != nil {
		e.failf("fib(%d) at G %d: Group.Wait returned %v", n, base, oneLine(err))
	}
	return x + y
}
