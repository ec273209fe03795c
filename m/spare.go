package m

import (
	"sync/atomic"
	"time"

	"github.com/usched/usched/p"
)

// Escalation: handing an overrunning M's CPU to a spare M.
//
// A G that has not polled for two quanta cannot be stopped: Go offers no
// sound way to switch it off its stack. What can be saved is the rest of
// its P: the unstarted Gs queued there, and the CPU. The watcher calls
// escalate; a spare M (a locked thread with a P of its own, parked until
// then) is pinned to the overrunning M's CPU, steals that M's queued Gs
// first, and then works as a full M. The overrunning thread is demoted
// (nice 19, where the process may restore it) so that the kernel runs
// the spare whenever it has work.
//
// Why the spare does not take over the overrunning M's P itself: that M's
// G may call into the runtime at any instant (spawn, yield) and touch its
// P's deque as the owner; taking the owner's end away from a running
// thread soundly would need a fence on every runtime call. Stealing from
// the top needs nothing: it is what the deque is for. Gs suspended on the
// overrunning M stay bound to it (their stacks are its coroutines) and
// wait until it comes back.
//
// The overrunning M comes back when its G polls or ends (startSlice,
// Preempted, parkM): it restores its priority and recalls the spare. A
// recalled spare retires to the pool the next time it would park with no G
// suspended on it; until then it is a full M, so nothing bound to it waits.
//
// Accounting: an active spare counts as an M: busy Ms are procs + nspare -
// nidle, and the runtime is quiescent only when nidle == procs + nspare.

// escalate hands the CPU of the M on slot to a spare, if the G identified
// by seq still runs there and a spare is free. Called by the watcher's
// goroutine.
func (s *Sched) escalate(slot int, seq uint64) {
	s.handOff(slot, seq, true, &s.escalations)
}

// handOff gives the CPU of slot's M to a spare and reports whether it did.
// demote: run the M's thread at nice 19 meanwhile (an overrunning G); a
// blocked M is not demoted: it must take its CPU back as soon as it wakes.
// count is the Stats counter of the kind of hand-off; it is incremented
// before the spare starts, so that whoever sees the spare's work done
// (Wait, then Stats) also sees the hand-off counted.
func (s *Sched) handOff(slot int, seq uint64, demoteM bool, count *atomic.Uint64) bool {
	mp := s.slotM(slot)
	if mp == nil {
		return false
	}
	for {
		if ok, done := s.tryHandOff(mp, seq, demoteM, count); done {
			return ok
		}
		// A spare from the pool needs its Go P before it starts: add the
		// spares' share (a stop of the world, outside spareMu) and
		// decide again.
		s.raiseSpareProcs()
	}
}

// tryHandOff is handOff's decision, under spareMu. done is false if it
// would start a spare from the pool while the spares' Go Ps are not in
// the GOMAXPROCS sum.
func (s *Sched) tryHandOff(mp *M, seq uint64, demoteM bool, count *atomic.Uint64) (ok, done bool) {
	s.spareMu.Lock()
	defer s.spareMu.Unlock()
	defer func() {
		// Refused with no spare serving (the G moved on while the
		// share was being raised, say): let the timer take the share
		// out again.
		if done && !ok && s.nspare.Load() == 0 {
			s.startSpareLinger()
		}
	}()
	if mp.slot.LoadSeq() != seq || mp.esc.Load() != nil || s.stopping.Load() ||
		mp.spare && !mp.active.Load() {
		return false, true // the G has moved on, is already escalated, or mp is a spare back in the pool
	}
	sp := s.recalledSpareOf(mp)
	if sp != nil {
		// Its last spare is still on its CPU, recalled but not yet
		// retired (it runs only when mp blocks, and mp may block again
		// first): keep it instead of missing. Taking one from the pool
		// instead left 1 hand-off in 50 undone in BenchmarkHandoff.
		sp.recall.Store(false)
	} else {
		n := len(s.sparePool)
		if n == 0 {
			s.spareMisses.Add(1)
			return false, true
		}
		if s.spareProcs > 0 && !s.spareProcsUp.Load() {
			return false, false
		}
		sp = s.sparePool[n-1]
		s.sparePool = s.sparePool[:n-1]
		if sp == mp {
			panic("usched: a spare M was asked to take over its own CPU") // excluded by the check above
		}
		sp.partner = mp
		sp.recall.Store(false)
		s.nspare.Add(1)
	}
	mp.esc.Store(sp)
	if demoteM && s.demotion == nil {
		if demote(mp.TID()) == nil {
			mp.demoted.Store(true)
		}
	}
	if demoteM {
		// Flag again after esc is set: if mp passed its startSlice check
		// just before, the next one (or its next poll) sees this and
		// reclaims. Not for a blocked M: it reclaims at its next
		// scheduling point anyway, and a flag would make its G yield for
		// nothing once it wakes.
		mp.slot.Reflag(seq)
	}
	count.Add(1)
	sp.activate()
	return true, true
}

// recalledSpareOf returns the spare that served mp and was recalled but
// has not retired yet, or nil. Under s.spareMu.
func (s *Sched) recalledSpareOf(mp *M) *M {
	for _, sp := range s.spares {
		if sp.partner == mp && sp.active.Load() && sp.recall.Load() {
			return sp
		}
	}
	return nil
}

// blocked is called by the sched_switch reporter when slot's M blocks in
// the kernel while it runs the G identified by seq: a hooked call or not, a
// page fault, a Go lock. Its work goes to a spare at once. The reporter
// does not report an M that blocks in its scheduler (seq 0: parking).
func (s *Sched) blocked(slot int, seq uint64) {
	if seq == 0 {
		return
	}
	mp := s.slotM(slot)
	if mp == nil || !mp.slot.SwitchedOut() {
		// Already back on its CPU: it blocked only briefly and keeps its
		// work. (The report reaches Go 15-30 µs after the switch.)
		return
	}
	if mp.slot.InSyscall() != 0 || !goOwnWait(mp.TID()) {
		// A hooked call, or a system call a G made unhooked (a raw read,
		// say), that blocked: hand off now, as Go's sysmon does for a P
		// in a system call after 20 µs (the report's latency).
		s.handOff(slot, seq, false, &s.blockHandoffs)
		return
	}
	// Blocked in futex or in no system call: most such blocks are Go's
	// own (a stop-the-world for the GC, a runtime lock, a locked
	// goroutine waiting for Go to hand it back its thread) and end within
	// a few ms. Handing those off thrashed the spares (measured: 220
	// hand-offs a second on a tiny-task run, 14% slower; with a 200 µs
	// grace, GC pauses of Fib still made 6 a run, 40% slower; with 1 ms,
	// 17 in a 10M-G tiny-task run, 30-45% slower), so wait out blockGrace
	// from the switch-out first. A G that waits on a Go channel directly
	// gets the grace too: G.Await is the way to wait without blocking.
	out := mp.slot.SwitchedOutAt()
	wait := blockGrace - time.Duration(monotonicNS()-int64(out))
	if wait <= 0 {
		s.blockedLate(mp, slot, seq, out)
		return
	}
	time.AfterFunc(wait, func() {
		// A timer may fire after Close unmapped the table: check under
		// watchMu, which Close holds while it unmaps. (The reporter's own
		// goroutine must not take it: Close waits for that goroutine
		// while holding it.)
		s.watchMu.RLock()
		defer s.watchMu.RUnlock()
		if !s.watchDone {
			s.blockedLate(mp, slot, seq, out)
		}
	})
}

// blockGrace is how long an M must stay blocked in futex (or in no system
// call) outside a hooked call before its work is handed off: 10 ms, the
// longest Go's sysmon lets a P
// sit in a system call. 1 ms still caught Go's own pauses under load
// (TinyTasks with preemption on: 118 ns against 82 ns off; with 10 ms,
// within 2%).
const blockGrace = 10 * time.Millisecond

// blockedLate hands slot's M off if it is still in the block that began at
// out, running the same G.
// The table must be mapped: called on the reporter's goroutine (which
// Close stops before it unmaps) or under watchMu.
func (s *Sched) blockedLate(mp *M, slot int, seq, out uint64) {
	if !mp.slot.SwitchedOut() || mp.slot.SwitchedOutAt() != out || mp.slot.LoadSeq() != seq {
		return
	}
	s.handOff(slot, seq, false, &s.blockHandoffs)
}

// foreignPreempted is called when a thread of another process preempted
// slot's M: wake an idle M to steal the queued work that M cannot run now.
func (s *Sched) foreignPreempted(slot int) {
	if s.slotM(slot) == nil {
		return
	}
	s.foreignPreempts.Add(1)
	s.wakep()
}

// reclaim ends mp's escalation: restore its priority and recall the spare.
// mp's thread only.
func (mp *M) reclaim() {
	s := mp.s
	s.spareMu.Lock()
	sp := mp.esc.Swap(nil)
	if sp != nil {
		sp.recall.Store(true)
	}
	s.spareMu.Unlock()
	if mp.demoted.Swap(false) {
		_ = promote(0)
	}
	if sp != nil {
		sp.unpark()
	}
}

// activate starts a spare taken from the pool. Under s.spareMu.
func (sp *M) activate() {
	sp.active.Store(true)
	sp.unpark()
}

// retire puts a recalled spare with nothing bound to it back in the pool
// and reports true, or reports false if its partner took it back first
// (handOff cleared recall: the spare serves on). Its queues are empty
// (the caller found nothing to run).
func (mp *M) retire() bool {
	s := mp.s
	mp.stopSpinning()
	mp.flushDone()
	mp.leaveSlice()
	mp.pp.C.Publish()
	s.spareMu.Lock()
	if !mp.recall.Load() {
		s.spareMu.Unlock()
		return false
	}
	mp.serving = false
	mp.active.Store(false)
	mp.partner = nil
	s.sparePool = append(s.sparePool, mp)
	n := s.nspare.Add(-1)
	if n == 0 {
		s.startSpareLinger()
	}
	s.spareMu.Unlock()
	if s.nidle.Load() == s.procs+n {
		s.notifyQuiescent()
	}
	return true
}

// sparePark parks an inactive spare until escalate activates it (true) or
// the runtime stops (false). On activation it moves to its partner's CPU
// and starts as a spinning M, to steal the partner's queued Gs at once.
func (mp *M) sparePark() bool {
	s := mp.s
	for !mp.active.Load() {
		if s.stopping.Load() {
			return false
		}
		mp.park.Store(1)
		if !mp.active.Load() && !s.stopping.Load() {
			for mp.park.Load() == 1 {
				futexWait(mp.parkAddr(), 1)
			}
		}
		mp.park.Store(0)
	}
	s.spareMu.Lock()
	partner := mp.partner
	s.spareMu.Unlock()
	if partner != nil {
		if cpu := partner.CPU(); cpu >= 0 && cpu != mp.CPU() && pin(cpu) == nil {
			mp.cpu.Store(int32(cpu))
		}
	}
	mp.serving = true
	mp.pp.C.Inc(p.Handoffs)
	mp.spinning = true
	s.nspinning.Add(1)
	return true
}

// stealPartner steals from the P of the M this spare serves, if any.
func (mp *M) stealPartner() *p.P {
	if !mp.spare || mp.recall.Load() {
		return nil
	}
	s := mp.s
	s.spareMu.Lock()
	partner := mp.partner
	s.spareMu.Unlock()
	if partner == nil {
		return nil
	}
	return partner.pp
}
