package m

import (
	"github.com/usched/usched/g"
	"github.com/usched/usched/p"
)

// The methods of g.Sched: what a running G asks of its M. The G passed in
// is the one running on mp, except for Ready.

// Spawn creates a child G of class c on mp's P and gives it to the
// policy (for work stealing: it becomes runnext, and the previous runnext
// goes to the deque where idle Ps can steal it).
func (mp *M) Spawn(parent *g.G, fn func(*g.G), grp *g.GroupState, c g.Class) {
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
	g.Init(gp, fn, grp, stamp, c)
	if s.ws != nil {
		s.ws.Spawned(mp, parent, gp) // devirtualized: see Sched.ws
	} else {
		s.pol.Spawned(mp, parent, gp)
	}
	parent.Check()
}

// Yield gives gp back to the policy and runs what the policy puts before
// it (work stealing: the P's unstarted Gs, then the Gs resumed earlier).
// Like Go's Gosched, it also lets the global queue go first (fairNext),
// or Gs that keep yielding would keep the global queue waiting for ever.
func (mp *M) Yield(gp *g.G) {
	mp.fairNext = true
	mp.yield(gp, false)
}

// yield is Yield without fairNext; a spawning loop that backpressure
// makes yield (see workStealing.Spawned) uses it directly: it yields to
// run its own queue, and taking a batch from the global queue there cost
// the tiny-task benchmark 70%.

func (mp *M) yield(gp *g.G, preempted bool) {
	mp.pp.C.Inc(p.Yields)
	if mp.slot.Overran() {
		mp.endOverrun()
	}
	if ws := mp.s.ws; ws != nil {
		ws.Yielded(mp, gp, preempted) // devirtualized: see Sched.ws
	} else {
		mp.s.pol.Yielded(mp, gp, preempted)
	}
	mp.suspend(gp)
}

// spawningLoop reports whether the running G spawned more than
// backpressureSpawns Gs since it last started or resumed: the Gs that
// every policy's Spawned makes yield (backpressure) when the queue they
// spawn into is overlong. A G that spawns a few children never counts as
// one (yielding gives a G a stack).
func (mp *M) spawningLoop() bool { return mp.spawnRun > backpressureSpawns }

// backpressure makes the spawning loop gp yield (see
// workStealing.Spawned). Resumed, gp is still a spawning loop, and stays
// marked as one: its next spawn yields again if the queue is still
// overlong. The fairness check resumes it after its P ran about
// fairnessTicks Gs; had it the full backpressureSpawns to spawn again, it
// would add more than that whenever backpressureSpawns > fairnessTicks,
// and the queue would creep up by the difference every round, without
// bound (24,000 Gs on one P after a 300,000-G loop).
func (mp *M) backpressure(gp *g.G) {
	mp.pp.C.Inc(p.Backpressures)
	mp.yield(gp, false)
	mp.spawnRun = backpressureSpawns
}

// Help runs one queued child of grp inline and reports whether it found
// one. It is the work-first half of Group.Wait: a waiter runs its own
// children (newest first) before it considers suspending. If the newest
// queued G is not grp's child (grp's children were stolen or have run),
// Help puts it back and reports false: run on top of the waiter, an
// unrelated G that waits for the waiter would never return.
func (mp *M) Help(gp *g.G, grp *g.GroupState) bool {
	next := mp.s.pol.TakeChild(mp, grp, gp.Class())
	if next == nil {
		mp.flushDone() // the waiter may be waiting on completions this M deferred
		return false
	}
	mp.execute(next)
	// A waiter's own children report at once: the waiter checks its count
	// next, and must not mistake a deferred completion for a running child.
	// When they were the last children grp counts, g.Settle reports them
	// with a plain store (the usual case of fork-join: the child ran
	// here, unstolen).
	if mp.doneGrp == grp && g.Settle(grp, mp.doneN) {
		mp.doneGrp, mp.doneN = nil, 0
		return true
	}
	mp.flushDone()
	return true
}

// Unfork runs G.Join's child inline if it is still queued on mp's P
// (see g.Sched). It takes the child as Help does, so an unrelated G above
// it stays queued, and runs it with execute, whose finish defers a normal
// completion on the M (doneGrp): Unfork takes that completion back
// instead of flushing it. A panic or a drop after Close is reported to
// grp by execute itself, and then doneGrp is not grp.
func (mp *M) Unfork(gp *g.G, grp *g.GroupState) bool {
	next := mp.s.pol.TakeChild(mp, grp, gp.Class())
	if next == nil {
		return false
	}
	mp.execute(next)
	if mp.doneGrp != grp {
		return false
	}
	mp.doneGrp, mp.doneN = nil, 0 // grp's only child: doneN was 1
	return true
}

// Park suspends gp until Ready(gp).
func (mp *M) Park(gp *g.G) {
	mp.suspend(gp)
}

// Ready makes the parked gp runnable on its M. Any thread: from outside the
// runtime it goes through the M's remote resume queue and wakes the M.
func (mp *M) Ready(gp *g.G) {
	g.ThreadOf(gp).Sched.(*M).readyRemote(gp)
}
