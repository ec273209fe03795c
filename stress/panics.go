package stress

// Panics: about one G in sixteen panics, chosen by the seed. Each root G
// spawns children in a usched.Group and children without one (G.Go), joins
// the Group, and may panic itself afterwards. A Group child's panic must
// come back from Group.Wait; a root's or a G.Go child's from Runtime.Wait.
// Half the panics carry an error, half a plain value.
//
// Each panic value names the G that panicked, so the check is per G: every
// chosen G's panic comes back exactly once, as a *usched.PanicError with
// a non-empty stack that shows the panicking function, to the waiter it
// belongs to, and no other error comes back; the other Gs all ran (the
// common check), and Stats counts exactly the chosen panics.

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/usched/usched"
)

var panicsScenario = &Scenario{
	Name:    "panics",
	Summary: "1 G in 16 panics; each panic must come back once as a *usched.PanicError, from Group.Wait or Runtime.Wait",
	prepare: preparePanics,
}

const (
	panicsOneIn       = 16
	panicsMaxChildren = 64
)

type panicsRoot struct {
	lo, mid, hi int // G numbers: root lo, Group children (lo, mid), G.Go children [mid, hi)
}

type panicsWorkload struct {
	size   int
	roots  []panicsRoot
	panics []bool          // panics[n]: G number n panics
	role   []uint8         // role[n]: roleRoot, roleGroup or roleGo
	nPanic int             // how many do
	got    []atomic.Uint32 // got[n]: times G n's panic came back
}

// The roles of the Gs of the panics workload: which waiter hears of
// their panics.
const (
	roleRoot  = iota // Runtime.Wait
	roleGroup        // its root's Group.Wait
	roleGo           // Runtime.Wait
)

var roleNames = [...]string{"root", "Group child", "G.Go child"}

// panicValue is the value a G panics with when it panics with no error.
type panicValue struct{ n int }

// panicErr is the error a G panics with otherwise; PanicError.Unwrap
// returns it.
type panicErr struct{ n int }

func (pe *panicErr) Error() string { return fmt.Sprintf("stress: G %d panicked on purpose", pe.n) }

func preparePanics(e *env) workload {
	size := e.opts.Size
	w := &panicsWorkload{size: size, panics: make([]bool, size), role: make([]uint8, size), got: make([]atomic.Uint32, size)}
	for lo := 0; lo < size; {
		hi := min(size, lo+2+e.rng.IntN(panicsMaxChildren))
		r := panicsRoot{lo: lo, mid: lo + 1 + (hi-lo-1)/2, hi: hi}
		w.roots = append(w.roots, r)
		w.role[lo] = roleRoot
		for n := lo + 1; n < hi; n++ {
			w.role[n] = uint8(roleGroup + btoi(n >= r.mid))
		}
		lo = hi
	}
	for n := range w.panics {
		if e.rng.IntN(panicsOneIn) == 0 {
			w.panics[n] = true
			w.nPanic++
		}
	}
	e.newSlots(w.size)
	e.want.gs = uint64(w.size)
	e.want.panicked = uint64(w.nPanic)
	e.kind = func(n int) string { return roleNames[w.role[n]] }
	return w
}

func (w *panicsWorkload) describe() string {
	return fmt.Sprintf("%d Gs under %d roots (half Group children, half G.Go children), %d of them panic", w.size, len(w.roots), w.nPanic)
}

func (w *panicsWorkload) run(e *env) {
	for _, r := range w.roots {
		e.submit(func(gp *usched.G) { w.root(e, gp, r) })
	}
	err := e.rt.Wait()
	// Runtime.Wait reports the roots' and the G.Go children's panics.
	w.collect(e, err, "Runtime.Wait", func(n int) bool { return w.role[n] != roleGroup })

	var missing, twice int
	var examples []string
	for n := range w.got {
		want := uint32(btoi(w.panics[n]))
		got := w.got[n].Load()
		if got == want {
			continue
		}
		if got < want {
			missing++
		} else {
			twice++
		}
		if len(examples) < maxExamples {
			examples = append(examples, fmt.Sprintf("%s: panicked %d times, reported %d times", e.describeG(n), want, got))
		}
	}
	if missing+twice == 0 {
		e.check("each panic reported once", true, "%d panics, each reported once", w.nPanic)
		return
	}
	e.check("each panic reported once", false, "%d panics not reported, %d reported more often than they happened: %s",
		missing, twice, strings.Join(examples, "; "))
}

func (w *panicsWorkload) root(e *env, gp *usched.G, r panicsRoot) {
	if !e.mark(r.lo) {
		return
	}
	var grp usched.Group
	for n := r.lo + 1; n < r.mid; n++ {
		grp.Go(gp, func(*usched.G) { w.body(e, n) })
	}
	for n := r.mid; n < r.hi; n++ {
		gp.Go(func(*usched.G) { w.body(e, n) })
	}
	err := grp.Wait(gp)
	w.collect(e, err, fmt.Sprintf("Group.Wait in root G %d", r.lo), func(n int) bool { return n > r.lo && n < r.mid })
	w.maybePanic(r.lo)
}

// body is a child: it marks itself and panics if chosen.
func (w *panicsWorkload) body(e *env, n int) {
	if e.mark(n) {
		w.maybePanic(n)
	}
}

func (w *panicsWorkload) maybePanic(n int) {
	if !w.panics[n] {
		return
	}
	if n%2 == 0 {
		panic(panicValue{n})
	}
	panic(&panicErr{n})
}

// collect checks the errors a waiter got: each must be a *PanicError for
// a G that belongs to it (mine), with a stack; it counts each.
func (w *panicsWorkload) collect(e *env, err error, waiter string, mine func(n int) bool) {
	for _, one := range unjoin(err) {
		var pe *usched.PanicError
		if !errors.As(one, &pe) {
			e.failf("%s returned %v, which is not a *usched.PanicError", waiter, oneLine(one))
			continue
		}
		n := -1
		switch v := pe.Value.(type) {
		case panicValue:
			n = v.n
		case *panicErr:
			n = v.n
			var inner *panicErr
			if !errors.As(one, &inner) || inner != v {
				e.failf("%s: errors.As does not see the error G %d panicked with through the *PanicError", waiter, n)
			}
		}
		if n < 0 || n >= w.size {
			e.failf("%s returned a panic with value %v, not one of the workload's", waiter, pe.Value)
			continue
		}
		if !mine(n) {
			e.failf("%s returned the panic of %s, which it does not wait for", waiter, e.describeG(n))
		}
		if len(pe.Stack) == 0 || !bytes.Contains(pe.Stack, []byte("maybePanic")) {
			e.failf("%s: the panic of G %d has a stack without the panicking function (%d bytes)", waiter, n, len(pe.Stack))
		}
		w.got[n].Add(1)
	}
}
