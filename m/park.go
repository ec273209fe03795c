package m

import (
	"unsafe"

	"github.com/usched/usched/p"
)

// maySpin reports whether one more M may start searching for work: Go's
// rule, spinning Ms at most half of the busy ones, so that with many idle
// Ps the search does not burn every CPU.
func (s *Sched) maySpin() bool {
	return 2*s.nspinning.Load() < s.procs+s.nspare.Load()-s.nidle.Load()
}

// wakep unparks one idle M as a spinning M, if there is an idle M and no M
// is spinning already. Called after making work available.
func (s *Sched) wakep() {
	if s.nidle.Load() == 0 || s.nspinning.Load() != 0 || !s.nspinning.CompareAndSwap(0, 1) {
		return
	}
	s.idleMu.Lock()
	n := len(s.idle)
	if n == 0 {
		s.idleMu.Unlock()
		s.nspinning.Add(-1)
		return
	}
	mp := s.idle[n-1]
	s.idle = s.idle[:n-1]
	s.nidle.Add(-1)
	mp.spinning = true // the nspinning we counted above is now mp's
	s.idleMu.Unlock()
	mp.unpark()
}

// parkM parks the M until it is woken: by wakep (it comes back spinning),
// by a Ready onto its resume queue, or by Close. See the parking essay in
// doc.go for the ordering that makes this safe.
func (mp *M) parkM() {
	s, pp := mp.s, mp.pp
	mp.stopSpinning()
	mp.flushDone()
	if mp.esc.Load() != nil {
		mp.reclaim() // the escalated G has ended: take the CPU back before sleeping
	}
	pp.C.Inc(p.Parks)
	pp.C.Publish() // before joining the idle list: see Sched.quiescent
	mp.park.Store(1)
	s.idleMu.Lock()
	s.idle = append(s.idle, mp)
	n := s.nidle.Add(1)
	s.idleMu.Unlock()
	if n == s.procs+s.nspare.Load() {
		s.notifyQuiescent()
	}
	if !s.anyWork(mp) {
		for mp.park.Load() == 1 {
			if len(mp.timers) == 0 {
				futexWait(mp.parkAddr(), 1)
				continue
			}
			// Sleep no longer than the earliest sleeper: it is bound to
			// this M, nobody else can wake it.
			wait := mp.runTimers()
			if mp.local.Len() > 0 {
				break
			}
			futexWaitTimeout(mp.parkAddr(), 1, int64(wait))
		}
	}
	mp.park.Store(0)
	mp.unidle()
	s.watcher.Kick() // a sysmon that backed off while every M was idle samples again
}

// unidle takes mp off the idle list if a waker has not already done so
// (then mp is spinning, on the waker's account), and bumps the epoch that
// Sched.quiescent checks, before mp changes any counter.
func (mp *M) unidle() {
	s := mp.s
	s.idleMu.Lock()
	for i, x := range s.idle {
		if x == mp {
			last := len(s.idle) - 1
			s.idle[i] = s.idle[last]
			s.idle = s.idle[:last]
			s.nidle.Add(-1)
			break
		}
	}
	s.idleMu.Unlock()
	s.epoch.Add(1)
}

// unpark wakes mp if it is parked (or about to park). Any thread.
func (mp *M) unpark() {
	if mp.park.Load() == 1 && mp.park.CompareAndSwap(1, 2) {
		futexWake(mp.parkAddr(), 1)
	}
}

// anyWork reports whether there may be work for mp: its resume queues,
// the policy's queues, or a stop request. Called by a parking
// M after it joined the idle list; it never returns false while a push that
// happened before the call is pending.
func (s *Sched) anyWork(mp *M) bool {
	return mp.local.Len() > 0 || !mp.remote.Idle() || s.stopping.Load() || s.pol.Pending(mp)
}

// parkAddr is the address of the futex word (atomic.Uint32 holds just it).
func (mp *M) parkAddr() *uint32 { return (*uint32)(unsafe.Pointer(&mp.park)) }
