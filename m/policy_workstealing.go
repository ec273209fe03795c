package m

import (
	"github.com/usched/usched/g"
	"github.com/usched/usched/p"
)

// workStealing is the default policy, DESIGN.md's "Scheduling": a spawned
// G becomes its P's runnext (the previous one goes to the P's Chase-Lev
// deque), the owner pops newest first, idle Ms steal half of a victim's
// deque oldest first, and Gs from outside the runtime wait in the global
// queue. Classes are ignored.
type workStealing struct{ s *Sched }

func newWorkStealing(s *Sched) *workStealing { return &workStealing{s: s} }

func (*workStealing) Name() string { return "work-stealing" }

func (ws *workStealing) Spawned(mp *M, parent, gp *g.G) {
	s, pp := ws.s, mp.pp
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
			ws.overflow(mp)
		} else if n > backpressureLen && mp.spawningLoop() {
			// Backpressure: a spawning loop outruns every P (or there is
			// only this one). Yield so that the P runs some of the queue
			// (newest first) before more is spawned: the queues, and the
			// memory of their pending Gs, stay bounded instead of growing
			// with the loop.
			mp.backpressure(parent)
		}
	}
}

func (ws *workStealing) Submitted(gp *g.G) {
	ws.s.global.Put(gp)
	ws.s.wakep()
}

// Yielded puts gp at the back of mp's resume queue: it runs after the
// P's unstarted Gs and the Gs resumed before it.
func (*workStealing) Yielded(mp *M, gp *g.G, _ bool) { mp.local.Push(gp) }

func (ws *workStealing) Next(mp *M, fair bool) *g.G {
	pp := mp.pp
	if mp.afterYield {
		// A G that yielded, or was preempted, goes behind the Gs
		// already submitted from outside (as Go's runtime puts it on its
		// global queue): take a fair share of them into the deque, where
		// they run before the resume queue. Without this, Gs that keep
		// yielding kept the global queue waiting for ever (the resume
		// queue is never empty), and taking one G per preemption left a
		// steady stream of submissions waiting seconds behind two hogs
		// per P.
		if gp := ws.takeGlobal(mp); gp != nil {
			return gp
		}
	}
	if fair {
		// One G only from the global queue, as Go's fairness check: a
		// batch would go on top of the local deque and run before older
		// Gs there.
		if gp := mp.takeResume(); gp != nil {
			return gp
		}
		if gp := mp.takeGlobalOne(&ws.s.global); gp != nil {
			return gp
		}
	}
	if gp := pp.RunqGet(); gp != nil {
		pp.C.Inc(p.LocalPops)
		return gp
	}
	mp.idleChores()
	if gp := mp.takeResume(); gp != nil {
		return gp
	}
	return ws.takeGlobal(mp)
}

func (ws *workStealing) Steal(mp *M, first *p.P) *g.G {
	return mp.eachVictim(first, func(victim *p.P) *g.G { return ws.stealOne(mp, victim) })
}

// stealOne steals half of victim's queue and returns one of the Gs.
func (*workStealing) stealOne(mp *M, victim *p.P) *g.G {
	pp := mp.pp
	pp.C.Inc(p.StealAttempts)
	if n := pp.StealFrom(victim); n > 0 {
		mp.countSteal(victim.ID, n)
		return pp.RunqGet()
	}
	return nil
}

func (*workStealing) TakeChild(mp *M, grp *g.GroupState, _ g.Class) *g.G {
	pp := mp.pp
	next := pp.RunqGet()
	if next == nil {
		return nil
	}
	if g.GroupOf(next) != grp {
		pp.RunqPush(next)
		return nil
	}
	pp.C.Inc(p.LocalPops)
	return next
}

func (ws *workStealing) Pending(*M) bool {
	if ws.s.global.Len() > 0 {
		return true
	}
	for _, pp := range ws.s.ps {
		if !pp.RunqEmpty() {
			return true
		}
	}
	return false
}

func (*workStealing) Queued(pp *p.P) int     { return pp.RunqLen() }
func (ws *workStealing) GlobalQueued() int64 { return ws.s.global.Len() }

// overflow moves up to overflowBatch of the oldest unstarted Gs of mp's P
// to the global queue, for idle Ms to take, and wakes one.
func (ws *workStealing) overflow(mp *M) {
	mp.overflowTo(&ws.s.global, mp.pp.RunqTakeN)
}

// takeGlobal takes a fair share of the global queue into the deque.
func (ws *workStealing) takeGlobal(mp *M) *g.G {
	return mp.takeGlobalBatch(&ws.s.global, mp.pp.RunqPushN)
}
