package m

import (
	"sync/atomic"

	"github.com/usched/usched/g"
	"github.com/usched/usched/p"
)

// Preemption on the M's side (see package preempt for the watchers and
// the sampling rule). The M publishes which G it runs as a per-M counter
// in its slot, one plain store per G start or resume; a G's poll reads the
// slot's preempt word. Nothing else is on the G switch path.

// startSlice publishes that a new G (or a resumed one) starts running on
// mp now. If the watcher flagged the previous G, the flag is cleared here,
// and if that G was escalated, mp takes its CPU back from the spare.
func (mp *M) startSlice() {
	mp.seq++
	mp.slot.SetSeq(mp.seq)
	if mp.slot.Overran() {
		mp.endOverrun()
	}
}

// leaveSlice publishes that mp runs no G (it searches for work or parks),
// so that the watcher does not count scheduler time against a G.
func (mp *M) leaveSlice() {
	mp.slot.SetSeq(0)
}

// endOverrun clears the preempt flag and ends an escalation of mp, if any.
func (mp *M) endOverrun() {
	mp.slot.ClearPreempt()
	if mp.esc.Load() != nil {
		mp.reclaim()
	}
}

// Preempted is called by G.Check (and every runtime call) when the
// preempt word is set. A flag left over from an earlier G (set just as it
// ended) is cleared without yielding; otherwise gp yields as Yield does,
// behind the global queue too: work from outside the runtime must not
// wait behind a hog that keeps being preempted.
func (mp *M) Preempted(gp *g.G) {
	if atomic.LoadUint64(mp.slot.PreemptWord()) != mp.seq {
		mp.endOverrun()
		return
	}
	mp.pp.C.Inc(p.Preemptions)
	mp.fairNext = true
	mp.yield(gp, true)
}
