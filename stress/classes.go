package stress

// The class mix: roots of every class, submitted from outside with
// Runtime.GoClass, spawn children of drawn classes with G.GoClass; some
// children yield, some lead a Group of grandchildren (which inherit their
// class) and wait for it, and every child polls while it works. Under the
// Priority policy this drives the class queues, aging, stealing within a
// class and the urgent yields of worse Gs; the other policies must run the
// same workload exactly once while ignoring the classes.

import (
	"fmt"

	"github.com/usched/usched"
)

var classesScenario = &Scenario{
	Name:    "classes",
	Summary: "class mix: Critical, Normal and Batch roots spawn children of drawn classes that poll, yield and join groups",
	prepare: prepareClasses,
}

const (
	classesRoots     = 12 // roots, cycling over the classes
	classesLeadEvery = 16 // every 16th child leads a group of classesGroup grandchildren
	classesGroup     = 3
	classesWork      = 200 // polling loop iterations per child
)

type classesWorkload struct {
	size    int
	seed    uint64
	nameMap parts
}

func prepareClasses(e *env) workload {
	w := &classesWorkload{size: e.opts.Size, seed: e.opts.Seed}
	for i := range min(classesRoots, w.size) {
		lo := i * w.size / min(classesRoots, w.size)
		w.nameMap.add(lo, "class root")
		w.nameMap.add(lo+1, "class child or grandchild")
	}
	e.newSlots(w.size)
	e.kind = w.nameMap.kind
	e.want.gs = uint64(w.size)
	return w
}

func (w *classesWorkload) describe() string {
	return fmt.Sprintf("%d Gs from %d roots of every class; children of drawn classes, every %dth leading a group of %d",
		w.size, min(classesRoots, w.size), classesLeadEvery, classesGroup)
}

// classOf draws G number n's class from the seed.
func (w *classesWorkload) classOf(n int) usched.Class {
	x := uint64(n)*0x9E3779B97F4A7C15 ^ w.seed
	x ^= x >> 29
	return []usched.Class{usched.Critical, usched.Normal, usched.Batch}[x%3]
}

func (w *classesWorkload) run(e *env) {
	nroots := min(classesRoots, w.size)
	for i := range nroots {
		lo, hi := i*w.size/nroots, (i+1)*w.size/nroots
		c := []usched.Class{usched.Critical, usched.Normal, usched.Batch}[i%3]
		e.rt.GoClass(c, func(gp *usched.G) { w.root(e, gp, lo, hi) })
		e.submitted.Add(1)
	}
	e.waitErr("classes")
}

func (w *classesWorkload) root(e *env, gp *usched.G, lo, hi int) {
	if !e.mark(lo) {
		return
	}
	for n := lo + 1; n < hi; n++ {
		if (n-lo)%classesLeadEvery == 1 && n+classesGroup < hi {
			lead := n // n moves on below; the closure must keep this G's number
			gp.GoClass(w.classOf(n), func(gp *usched.G) { w.leader(e, gp, lead) })
			n += classesGroup
			continue
		}
		gp.GoClass(w.classOf(n), func(gp *usched.G) { w.child(e, gp, n) })
	}
}

func (w *classesWorkload) child(e *env, gp *usched.G, n int) {
	if !e.mark(n) {
		return
	}
	x := uint64(n) | 1
	for range classesWork {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		gp.Check()
	}
	if x == 0 {
		e.failf("G %d: xorshift reached 0", n) // never: keeps the loop from being optimised away
	}
	if n%5 == 0 {
		gp.Yield()
	}
}

// leader is G n; G numbers n+1..n+classesGroup are its group's children.
func (w *classesWorkload) leader(e *env, gp *usched.G, n int) {
	if !e.mark(n) {
		return
	}
	var grp usched.Group
	for k := n + 1; k <= n+classesGroup; k++ {
		grp.Go(gp, func(gp *usched.G) { w.child(e, gp, k) })
	}
	if err := grp.Wait(gp); err != nil {
		e.failf("G %d: group of %d..%d: %v", n, n+1, n+classesGroup, err)
	}
}
