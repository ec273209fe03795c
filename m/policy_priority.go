package m

import (
	"math"
	"sync/atomic"

	"github.com/usched/usched/g"
	"github.com/usched/usched/p"
	"github.com/usched/usched/steal"
)

// DefaultAging is the Priority policy's aging limit when Config.Aging is
// zero: see priority.
const DefaultAging = 64

// priority orders Gs by class (g.Class.Rank: Critical, Normal, Batch).
// Each class is a work-stealing runtime of its own: a per-P Chase-Lev
// deque, a global queue for submissions from outside, and per-M resume
// FIFOs for suspended Gs. An M takes the best class it can see: its own
// queues, the global queues, and, when its best is not Critical, the
// other Ps' deques of better classes (it steals rather than run a worse
// class while a better one waits elsewhere).
//
// Urgency. A G of a better class than some M runs, queued while no M is
// idle, sets that M's preempt word (the one the watcher sets): the worse
// G yields at its next poll instead of at the end of its quantum. The M
// chosen is the one running the worst class, from a racy read of each
// M's published rank; a stale choice costs one yield.
//
// Aging. Each M counts, per class, the Gs it started from a better class
// while that class had a G in the M's view (its resume FIFO, its P's
// deque or the global queue). When the count passes the aging limit A,
// the M's next start is an aged pick of that class, and the count starts
// again. So a class with Gs in an M's view gets at least one start in
// every A+NumClasses-1 starts there (A+2 with three classes: two starved
// classes can fall due together). An aged pick takes the oldest G of one
// of the class's three queues, the next queue each time, so a given G is
// started within 3(A+2) starts once it is the oldest of its queue, and
// every G ahead of it gets there first. With preemption on, each start
// holds the M for at most about two quanta before its G polls or is
// escalated, so the wait is bounded in time too. A negative limit
// disables aging: a worse class may then starve.
//
// A G readied by another thread (a wait ended) is bound to its M: if that
// M runs a worse class, it is asked to yield the same way (Readied).
//
// What this policy does not do: a batch G that never polls holds its CPU
// until the watcher escalates it, as under every policy.
type priority struct {
	s      *Sched
	aging  int
	deques [][g.NumClasses]*steal.Deque[g.G] // per P, by rank
	global [g.NumClasses]p.Global            // by rank
	ms     []prioM                           // per M (index == its P's ID)
	urgent atomic.Uint64                     // preempt words set for urgency
	// nrun[r] counts the Ms running a G of rank r; changed only when an
	// M's rank changes, so a one-class workload never writes it. urge
	// scans the Ms only when one runs a worse rank than the new G's.
	nrun [g.NumClasses + 1]atomic.Int32
	// critical counts Critical Gs in the Ps' deques (pushed, not yet
	// popped or stolen; may run ahead of the deques). An M about to run
	// a worse G looks for Critical Gs on other Ps only while it is not
	// zero, so Normal-only work pays one load per G, not a scan.
	critical atomic.Int64
}

// prioM is one M's share of the policy.
type prioM struct {
	resume  [g.NumClasses]p.FIFO // owner-only, by rank
	skipped [g.NumClasses]int    // owner-only: aging counters, by rank
	turn    uint8                // owner-only: the queue the next aged pick tries first
	// running is the rank of the G the M runs (NumClasses while it runs
	// none); written by the owner only when it changes, read by urge.
	running atomic.Int32
	_       [64]byte
}

// batchStealMax bounds what an idle M steals from a Batch deque at once.
const batchStealMax = 32

// idleRank marks an M that runs no G.
const idleRank = g.NumClasses

func newPriority(s *Sched, aging int) *priority {
	if aging == 0 {
		aging = DefaultAging
	}
	pr := &priority{s: s, aging: aging}
	pr.deques = make([][g.NumClasses]*steal.Deque[g.G], len(s.ps))
	for i := range pr.deques {
		for r := range g.NumClasses {
			pr.deques[i][r] = steal.NewDeque[g.G](64)
		}
	}
	for r := range pr.global {
		pr.global[r].Init()
	}
	pr.ms = make([]prioM, len(s.ps))
	for i := range pr.ms {
		pr.ms[i].running.Store(idleRank)
	}
	pr.nrun[idleRank].Store(int32(len(pr.ms)))
	return pr
}

func (*priority) Name() string { return "priority" }

func (pr *priority) Spawned(mp *M, parent, gp *g.G) {
	r := gp.Class().Rank()
	pid := mp.pp.ID
	pr.push(pid, r, gp)
	pr.urge(r)
	// Overflow and backpressure as in workStealing.Spawned, per class.
	if n := pr.deques[pid][r].Len(); n > overflowLen {
		if pr.s.procs > 1 && pr.global[r].Len() < backpressureLen*int64(pr.s.procs) {
			mp.overflowTo(&pr.global[r], func(max int, fn func(*g.G)) int { return pr.popOldestN(pid, r, max, fn) })
		} else if n > backpressureLen && mp.spawningLoop() {
			mp.backpressure(parent)
		}
	}
}

func (pr *priority) Submitted(gp *g.G) {
	r := gp.Class().Rank()
	pr.global[r].Put(gp)
	pr.urge(r)
}

// urge makes a G of rank r run soon: it wakes an idle M, or else flags the
// M running the worst class if that class is worse than r.
func (pr *priority) urge(r int) {
	s := pr.s
	if s.nidle.Load() != 0 {
		s.wakep()
		return
	}
	worse := false
	for x := r + 1; x < g.NumClasses; x++ {
		worse = worse || pr.nrun[x].Load() != 0
	}
	if !worse {
		return // no M runs a worse class (nothing runs worse than Batch)
	}
	worst, victim := int32(r), -1
	for i := range pr.ms {
		if x := pr.ms[i].running.Load(); x > worst && x != idleRank {
			worst, victim = x, i
		}
	}
	if victim >= 0 {
		pr.flag(s.allMs[victim])
	}
}

// flag sets mp's preempt word for the G it runs now (a stale choice is
// cleared by the M without a yield: the word names the G by its Seq).
func (pr *priority) flag(mp *M) {
	slot := mp.slot
	if seq := slot.LoadSeq(); seq != 0 && atomic.CompareAndSwapUint64(slot.PreemptWord(), 0, seq) {
		pr.urgent.Add(1)
	}
}

// Readied is called when a G of class c, bound to owner, was made
// runnable by another thread: if owner runs a worse class, it yields at
// its next poll, since that G can run nowhere else.
func (pr *priority) Readied(owner *M, c g.Class) {
	r := int32(c.Rank())
	if x := pr.ms[owner.pp.ID].running.Load(); x > r && x != idleRank {
		pr.flag(owner)
	}
}

// Urgent counts the preempt words urge set (Stats).
func (pr *priority) Urgent() uint64 { return pr.urgent.Load() }

func (pr *priority) Yielded(mp *M, gp *g.G, _ bool) {
	pr.ms[mp.pp.ID].resume[gp.Class().Rank()].Push(gp)
}

func (pr *priority) Next(mp *M, fair bool) *g.G {
	pm := &pr.ms[mp.pp.ID]
	mp.drainResume(pm.putResume)
	best := pr.bestRank(mp, pm)
	if best == idleRank {
		mp.idleChores()
		mp.drainResume(pm.putResume)
		if best = pr.bestRank(mp, pm); best == idleRank {
			pr.setRunning(pm, idleRank)
			return nil
		}
	}
	r := pr.age(mp, pm, best)
	if r == best && best > 0 {
		// A better class may wait on another P: take it first. Critical
		// Gs are looked for only while some are queued (the hint);
		// Normal ones only by an M about to run Batch.
		for rr := range best {
			if rr == 0 && pr.critical.Load() <= 0 {
				continue
			}
			if gp := pr.stealRank(mp, rr, nil, false); gp != nil {
				pr.started(pm, rr)
				return gp
			}
		}
	}
	var gp *g.G
	if r != best {
		gp = pr.takeOldest(mp, pm, r)
	} else {
		gp = pr.takeRank(mp, pm, r, fair)
	}
	if gp == nil {
		// Lost a race for a shared G (another M took it, or the global
		// queue was held): the caller looks again.
		return nil
	}
	pr.started(pm, r)
	return gp
}

// bestRank returns the best rank with a G in mp's view, or idleRank.
func (pr *priority) bestRank(mp *M, pm *prioM) int {
	for r := range g.NumClasses {
		if pm.resume[r].Len() > 0 || !pr.deques[mp.pp.ID][r].Empty() || pr.global[r].Len() > 0 {
			return r
		}
	}
	return idleRank
}

// age returns the rank to take: best, unless a worse rank in view has
// been passed over pr.aging times. It counts the passes.
func (pr *priority) age(mp *M, pm *prioM, best int) int {
	if pr.aging < 0 {
		return best
	}
	due := best
	for r := g.NumClasses - 1; r > best; r-- {
		if pm.resume[r].Len() == 0 && pr.deques[mp.pp.ID][r].Empty() && pr.global[r].Len() == 0 {
			continue
		}
		pm.skipped[r]++
		if pm.skipped[r] > pr.aging && due == best {
			due = r
		}
	}
	return due
}

// started records that the M of pm starts a G of rank r.
func (pr *priority) started(pm *prioM, r int) {
	pm.skipped[r] = 0
	pr.setRunning(pm, r)
}

// setRunning publishes the rank the M of pm runs (idleRank: none); it
// writes shared words only when the rank changes.
func (pr *priority) setRunning(pm *prioM, r int) {
	if old := int(pm.running.Load()); old != r {
		pm.running.Store(int32(r))
		pr.nrun[old].Add(-1)
		pr.nrun[r].Add(1)
	}
}

func (pm *prioM) putResume(gp *g.G) { pm.resume[gp.Class().Rank()].Push(gp) }

// takeRank takes a G of rank r from mp's view, in work stealing's order
// (its deque, its resumed Gs, the global queue; resumed and global first
// in a fairness round).
func (pr *priority) takeRank(mp *M, pm *prioM, r int, fair bool) *g.G {
	pp := mp.pp
	if mp.afterYield {
		if gp := pr.takeGlobal(mp, r); gp != nil { // as in workStealing.Next
			return gp
		}
	}
	if fair {
		if gp := pm.resume[r].Pop(); gp != nil {
			pp.C.Inc(p.ResumedGs)
			return gp
		}
		if gp := mp.takeGlobalOne(&pr.global[r]); gp != nil {
			return gp
		}
	}
	if gp := pr.pop(pp.ID, r); gp != nil {
		pp.C.Inc(p.LocalPops)
		return gp
	}
	if gp := pm.resume[r].Pop(); gp != nil {
		pp.C.Inc(p.ResumedGs)
		return gp
	}
	return pr.takeGlobal(mp, r)
}

// takeOldest takes the oldest G of one of rank r's queues for an aged
// pick, turning to the next queue at each aged pick so that a G at the
// head of any of them is reached: the resume FIFO's head, the global
// queue's head, the top of mp's deque (the owner's LIFO pops would reach
// it last).
func (pr *priority) takeOldest(mp *M, pm *prioM, r int) *g.G {
	pp := mp.pp
	pm.turn++
	for i := range uint8(3) {
		switch (pm.turn + i) % 3 {
		case 0:
			if gp := pm.resume[r].Pop(); gp != nil {
				pp.C.Inc(p.ResumedGs)
				return gp
			}
		case 1:
			if gp := mp.takeGlobalOne(&pr.global[r]); gp != nil {
				return gp
			}
		case 2:
			if gp := pr.popOldest(pp.ID, r); gp != nil {
				pp.C.Inc(p.LocalPops)
				return gp
			}
		}
	}
	return nil
}

// push, pop, popOldest and popOldestN are the deque operations of P pid's
// owner on rank r, keeping the critical hint: it is raised before a push
// and lowered after a pop, so it never runs behind the deques.
func (pr *priority) push(pid, r int, gp *g.G) {
	if r == 0 {
		pr.critical.Add(1)
	}
	pr.deques[pid][r].PushBottom(gp)
}

func (pr *priority) pop(pid, r int) *g.G {
	gp := pr.deques[pid][r].PopBottom()
	if gp != nil && r == 0 {
		pr.critical.Add(-1)
	}
	return gp
}

// popOldest takes the oldest G; only aged picks use it, so it goes
// through popOldestN rather than repeat the hint's bookkeeping.
func (pr *priority) popOldest(pid, r int) *g.G {
	var gp *g.G
	pr.popOldestN(pid, r, 1, func(x *g.G) { gp = x })
	return gp
}

// popOldestN takes up to max of the oldest Gs (one CAS for all) and passes
// them to fn, oldest first.
func (pr *priority) popOldestN(pid, r, max int, fn func(*g.G)) int {
	n := pr.deques[pid][r].PopTopN(max, fn)
	if n > 0 && r == 0 {
		pr.critical.Add(int64(-n))
	}
	return n
}

// takeGlobal takes a fair share of the global queue of rank r, as
// workStealing.takeGlobal does: one G to run, the rest into mp's deque.
func (pr *priority) takeGlobal(mp *M, r int) *g.G {
	pid := mp.pp.ID
	return mp.takeGlobalBatch(&pr.global[r], func(gs []*g.G) {
		for _, gp := range gs {
			pr.push(pid, r, gp)
		}
	})
}

func (pr *priority) Steal(mp *M, first *p.P) *g.G {
	for r := range g.NumClasses {
		if gp := pr.stealRank(mp, r, first, true); gp != nil {
			pr.started(&pr.ms[mp.pp.ID], r)
			return gp
		}
	}
	return nil
}

// stealRank steals from the first non-empty deque of rank r among the
// other Ps (first, if not nil, before the rest) and returns one G: half
// of the deque for an idle M (half, as work stealing does), a single G
// for an M that has worse work of its own. Taking half there made two
// Ms pass the same Critical Gs back and forth, each stealing half of what
// the other had just stolen (4 steals per G in the classes scenario).
func (pr *priority) stealRank(mp *M, r int, first *p.P, half bool) *g.G {
	return mp.eachVictim(first, func(victim *p.P) *g.G { return pr.stealFrom(mp, victim.ID, r, half) })
}

func (pr *priority) stealFrom(mp *M, victim, r int, half bool) *g.G {
	src := pr.deques[victim][r]
	if src.Empty() {
		return nil
	}
	mp.pp.C.Inc(p.StealAttempts)
	if !half {
		gp, _ := src.Steal()
		if gp != nil {
			if r == 0 {
				pr.critical.Add(-1) // it leaves the deques
			}
			mp.countSteal(victim, 1)
		}
		return gp
	}
	dst := pr.deques[mp.pp.ID][r]
	max := math.MaxInt
	if r == g.NumClasses-1 {
		// Batch Gs pile up by hundreds while better classes run; two Ms
		// that ran out of better work took halves of each other's pile
		// in turn (1.5M moves for 1M Gs in the classes scenario).
		max = batchStealMax
	}
	if n := src.StealHalfMax(dst, max); n > 0 {
		mp.countSteal(victim, n)
		return pr.pop(mp.pp.ID, r)
	}
	return nil
}

func (pr *priority) TakeChild(mp *M, grp *g.GroupState, c g.Class) *g.G {
	r := c.Rank()
	next := pr.pop(mp.pp.ID, r)
	if next == nil {
		return nil
	}
	if g.GroupOf(next) != grp {
		pr.push(mp.pp.ID, r, next)
		return nil
	}
	mp.pp.C.Inc(p.LocalPops)
	return next
}

func (pr *priority) Pending(mp *M) bool {
	pm := &pr.ms[mp.pp.ID]
	for r := range g.NumClasses {
		if pm.resume[r].Len() > 0 || pr.global[r].Len() > 0 {
			return true
		}
		for _, d := range pr.deques {
			if !d[r].Empty() {
				return true
			}
		}
	}
	return false
}

func (pr *priority) Queued(pp *p.P) int {
	n := 0
	for _, d := range pr.deques[pp.ID] {
		n += d.Len()
	}
	return n
}

func (pr *priority) GlobalQueued() int64 {
	var n int64
	for r := range pr.global {
		n += pr.global[r].Len()
	}
	return n
}
