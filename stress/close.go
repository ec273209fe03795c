package stress

// Close under load: eight goroutines submit Gs (half with Runtime.Go, half
// with TryGo), some of which grow fork-join trees that yield and spawn
// G.Go children, and Runtime.Close is called once a fraction of the Gs,
// drawn from the seed, has started. Close must let running and suspended
// Gs finish, drop the queued ones and report them, refuse new ones, and
// stop every M.
//
// G numbers are handed out as the Gs are created (a shared counter), up to
// Size; a G that is never started keeps a zero count. The invariant: every
// G numbered ran exactly once or was reported as not run, and as many
// did not run as were reported, where the reports are the *NotRunError
// counts from Group.Wait (children dropped while their parent waited),
// from Close (queued root Gs), from the Runtime.Wait after Close (Gs that
// Runtime.Go refused), plus the ErrClosed returned by TryGo. The counters
// agree: NotRunGs + RejectedGs is that same number, and every call of Go
// or TryGo was either submitted or rejected.

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usched/usched"
)

var closeScenario = &Scenario{
	Name:    "close",
	Summary: "Close while 8 goroutines submit and trees spawn and yield; every G ran once or was reported not run",
	prepare: prepareClose,
}

const (
	closeSubmitters = 8
	closeTreeEvery  = 32 // one submitted G in this many grows a tree
	closeTreeFanout = 4
	closeTreeDepth  = 3
	closeTreeLeaves = 8 // G.Go children of a tree's root
)

type closeWorkload struct {
	size  int
	frac  float64 // Close once this fraction of size has started
	next  atomic.Int64
	calls atomic.Uint64 // Runtime.Go and TryGo calls
	// Gs reported not run inside Gs (Group.Wait's NotRunError) and by
	// TryGo; the outside reports are added at the end.
	notRun atomic.Int64
	yields atomic.Uint64 // Yield calls made
	// ran counts the Gs that started, for the decision when to Close:
	// Stats lags behind busy Ps by up to a few dozen scheduling rounds,
	// which at this scenario's sizes can be most of the run.
	ran atomic.Int64
	// closedAt is ran when Close was called, for the report.
	closedAt int64
}

func prepareClose(e *env) workload {
	w := &closeWorkload{size: e.opts.Size, frac: 0.2 + 0.4*e.rng.Float64()}
	e.newSlots(w.size)
	e.faultRange = max(1, w.size/4) // the fault must hit a G that is created before Close
	e.want.closing = true
	return w
}

func (w *closeWorkload) describe() string {
	return fmt.Sprintf("up to %d Gs from %d goroutines (1 in %d grows a tree of depth %d that yields), Close after %.0f%% have started",
		w.size, closeSubmitters, closeTreeEvery, closeTreeDepth, 100*w.frac)
}

// mark is e.mark, counted in ran.
func (w *closeWorkload) mark(e *env, n int) bool {
	if !e.mark(n) {
		return false
	}
	w.ran.Add(1)
	return true
}

// take returns the next G number, or -1 once size numbers are taken.
func (w *closeWorkload) take() int {
	n := w.next.Add(1) - 1
	if n >= int64(w.size) {
		return -1
	}
	return int(n)
}

func (w *closeWorkload) run(e *env) {
	rt := e.rt
	var wg sync.WaitGroup
	for j := range closeSubmitters {
		wg.Go(func() {
			for {
				n := w.take()
				if n < 0 {
					return
				}
				fn := func(*usched.G) { w.mark(e, n) }
				if n%closeTreeEvery == 0 {
					fn = func(gp *usched.G) { w.treeRoot(e, gp, n) }
				}
				w.calls.Add(1)
				if j%2 == 0 {
					rt.Go(fn) // refused after Close: reported by the next Wait
					continue
				}
				if err := rt.TryGo(fn); err != nil {
					if !errors.Is(err, usched.ErrClosed) {
						e.failf("TryGo returned %v, want nil or ErrClosed", err)
					}
					w.notRun.Add(1)
					return // closed: this submitter is done
				}
			}
		})
	}
	submitted := make(chan struct{})
	go func() { wg.Wait(); close(submitted) }()

	// Close once the threshold is reached, whether the submitters are
	// still at it or the Ms are draining what they queued: either is load.
	threshold := int64(w.frac * float64(w.size))
	for w.ran.Load() < threshold {
		time.Sleep(50 * time.Microsecond)
	}
	w.closedAt = w.ran.Load()
	closeErr := rt.Close()
	<-submitted
	waitErr := rt.Wait() // Gs Runtime.Go refused after Close
	e.closed = true
	e.finalStats = rt.Stats()

	reported := w.notRun.Load()
	for what, err := range map[string]error{"Close": closeErr, "Runtime.Wait after Close": waitErr} {
		n, others := countNotRun(err)
		reported += n
		for _, o := range others {
			e.failf("%s returned %v, want only *usched.NotRunError", what, oneLine(o))
		}
	}
	attempted := min(int(w.next.Load()), w.size)
	e.slots = e.slots[:attempted]
	e.want.notRun = uint64(reported)
	e.want.gs = uint64(int64(attempted) - reported)
	e.want.yieldCalls = w.yields.Load()
	// Every call of Go or TryGo either came in or was refused: the common
	// check compares this with SubmittedGs + RejectedGs.
	e.submitted.Store(w.calls.Load())
	e.note("Close after %d of %d Gs had started: %d Gs created, %d ran, %d reported not run (%d refused by Go/TryGo)",
		w.closedAt, w.size, attempted, int64(attempted)-reported, reported, e.finalStats.RejectedGs)
}

// treeRoot grows a tree: G.Go leaves, and a fork-join tree below it.
func (w *closeWorkload) treeRoot(e *env, gp *usched.G, n int) {
	if !w.mark(e, n) {
		return
	}
	for range closeTreeLeaves {
		c := w.take()
		if c < 0 {
			break
		}
		gp.Go(func(*usched.G) { w.mark(e, c) })
	}
	w.treeNode(e, gp, closeTreeDepth)
}

// treeNode spawns up to closeTreeFanout children in a Group, yields, and
// joins; Close may drop some of the children.
func (w *closeWorkload) treeNode(e *env, gp *usched.G, depth int) {
	if depth == 0 {
		return
	}
	var grp usched.Group
	for range closeTreeFanout {
		c := w.take()
		if c < 0 {
			break
		}
		grp.Go(gp, func(gp *usched.G) {
			if w.mark(e, c) {
				w.treeNode(e, gp, depth-1)
			}
		})
	}
	w.yields.Add(1)
	gp.Yield() // suspended Gs must finish after Close too
	n, others := countNotRun(grp.Wait(gp))
	w.notRun.Add(n)
	for _, o := range others {
		e.failf("Group.Wait returned %v, want nil or a *usched.NotRunError", oneLine(o))
	}
}
