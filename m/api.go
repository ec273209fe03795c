package m

import (
	"github.com/usched/usched/g"
	"github.com/usched/usched/p"
)

// The methods of g.Sched: what a running G asks of its M. The G passed in
// is the one running on mp, except for Ready.

// Spawn creates a child G on mp's P: it becomes runnext, and the previous
// runnext goes to the deque where idle Ps can steal it.
func (mp *M) Spawn(parent *g.G, fn func(*g.G), grp *g.Group) {
	s, pp := mp.s, mp.pp
	pp.C.Inc(p.SpawnedGs)
	if s.closed.Load() {
		pp.C.Inc(p.NotRunGs)
		if grp != nil {
			if w := g.DropNotRun(grp); w != nil {
				mp.ready(w)
			}
		} else {
			s.recordRootNotRun()
		}
		return
	}
	mp.spawnRun++
	gp, id := pp.NewG()
	var stamp int64
	if id%p.SampleEvery == 0 {
		stamp = s.now()
	}
	g.Init(gp, fn, grp, stamp)
	pp.RunqPut(gp)
	// Go's wakep condition: an idle M exists and nobody is already
	// searching. Two plain loads on the fast path.
	if s.nidle.Load() != 0 && s.nspinning.Load() == 0 {
		s.wakep()
	}
	if n := pp.RunqLen(); n > overflowLen {
		if s.procs > 1 && s.global.Len() < backpressureLen*int64(s.procs) {
			// Overflow: hand the oldest Gs to the other Ms in a batch
			// they take without touching this deque (see overflow).
			mp.overflow()
		} else if n > backpressureLen && mp.spawnRun > backpressureSpawns {
			// Backpressure: a spawning loop outruns every P (or there is
			// only this one). Yield so that the P runs some of the queue
			// (newest first) before more is spawned: the queues, and the
			// memory of their pending Gs, stay bounded instead of growing
			// with the loop. Only a G that itself spawned
			// backpressureSpawns Gs since it last started or resumed
			// yields: yielding gives a G a stack, which a G that spawns a
			// few children must not pay for.
			pp.C.Inc(p.Backpressures)
			mp.Yield(parent)
			return
		}
	}
	parent.Check()
}

// Yield puts gp at the back of the M's resume queue and runs what comes
// before it: the P's unstarted Gs, then the Gs resumed earlier.
func (mp *M) Yield(gp *g.G) {
	mp.pp.C.Inc(p.Yields)
	if mp.slot.Overran() {
		mp.endOverrun()
	}
	mp.local.Push(gp)
	mp.suspend(gp)
}

// Help runs one queued child of grp inline and reports whether it found
// one. It is the work-first half of Group.Wait: a waiter runs its own
// children (newest first) before it considers suspending. If the newest
// queued G is not grp's child (grp's children were stolen or have run),
// Help puts it back and reports false: run on top of the waiter, an
// unrelated G that waits for the waiter would never return.
func (mp *M) Help(gp *g.G, grp *g.Group) bool {
	pp := mp.pp
	next := pp.RunqGet()
	if next == nil {
		mp.flushDone() // the waiter may be waiting on completions this M deferred
		return false
	}
	if g.GroupOf(next) != grp {
		pp.RunqPush(next)
		mp.flushDone()
		return false
	}
	pp.C.Inc(p.LocalPops)
	mp.execute(next)
	// A waiter's own children report at once: the waiter checks its count
	// next, and must not mistake a deferred completion for a running child.
	mp.flushDone()
	return true
}

// Park suspends gp until Ready(gp).
func (mp *M) Park(gp *g.G) {
	mp.suspend(gp)
}

// Ready makes the parked gp runnable on its M. Any thread: from outside the
// runtime it goes through the M's remote resume queue and wakes the M.
func (mp *M) Ready(gp *g.G) {
	owner := g.ThreadOf(gp).Sched.(*M)
	owner.remote.Push(gp)
	owner.unpark()
}
