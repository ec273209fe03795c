package m

import "time"

// The spares' Go Ps. A serving spare is an M and holds one of Go's Ps
// while it runs, beside the M it serves (a demoted M still runs its G; a
// blocked one gets its P back on return), so the GOMAXPROCS rule counts
// min(spares, Procs) more Ps while spares serve. They are added when a
// hand-off needs them and taken out once no spare has served for
// spareLinger, not held from New on: every Go P adds to the collector's
// mark workers (the pacer's dedicated workers scale with GOMAXPROCS: none
// at 3, one from 4; idle workers run on idle Ps), and on a machine whose
// CPUs the Ms fill, those workers preempt the Ms. Measured on 2 CPUs, fib(27) with the
// default Config: 20.97 ms an op with the spares' Ps held from New, 17.84
// ms with them added as here, as fast as with preemption off
// (bench/RESULTS.md).
//
// Changing GOMAXPROCS stops the world, so a burst of hand-offs pays it
// once: the first hand-off after a quiet spell raises (and waits for it:
// a spare must not start without its P), and a timer lowers spareLinger
// after the last spare retired.
//
// Locks: procsMu, then spareMu, then the gomaxprocs lock. procsMu
// serializes raising and lowering and is held across the stop of the
// world; spareMu orders the flag with the spares' activation, so that the
// Ps are never taken out while a spare serves.

// spareLinger is how long the spares' Go Ps stay after the last spare
// retired: long enough that a workload escalating now and then (a few
// times a second) pays two stops of the world per burst, not per hand-off.
const spareLinger = 100 * time.Millisecond

// raiseSpareProcs adds the spares' Ps to the GOMAXPROCS sum if they are not
// in it. Not under spareMu.
func (s *Sched) raiseSpareProcs() {
	if s.spareProcs == 0 || s.spareProcsUp.Load() {
		return
	}
	s.procsMu.Lock()
	defer s.procsMu.Unlock()
	if !s.spareProcsUp.Load() {
		addGOMAXPROCS(s.spareProcs)
		s.spareProcsUp.Store(true)
	}
}

// startSpareLinger starts the lowering timer over, under spareMu, when no
// spare serves any more: a spare retired (retire), or a hand-off that
// raised the share started none (tryHandOff).
func (s *Sched) startSpareLinger() {
	if !s.spareProcsUp.Load() {
		return
	}
	s.lastServed = monotonicNS()
	if s.lowerTimer == nil {
		s.lowerTimer = time.AfterFunc(spareLinger, s.lowerSpareProcs)
	} else {
		s.lowerTimer.Reset(spareLinger)
	}
}

// lowerSpareProcs takes the spares' Ps out of the sum if no spare serves
// and none has for spareLinger. The lowering timer's goroutine.
func (s *Sched) lowerSpareProcs() {
	s.procsMu.Lock()
	defer s.procsMu.Unlock()
	s.spareMu.Lock()
	ok := s.spareProcsUp.Load() && s.nspare.Load() == 0 && !s.stopping.Load()
	if ok {
		if wait := spareLinger - time.Duration(monotonicNS()-s.lastServed); wait > 0 {
			s.lowerTimer.Reset(wait) // a spare served meanwhile
			ok = false
		} else {
			s.spareProcsUp.Store(false)
		}
	}
	s.spareMu.Unlock()
	if ok {
		addGOMAXPROCS(-s.spareProcs)
	}
}

// releaseSpareProcs stops the lowering timer and returns the Ps the spares
// still hold in the sum (0 or spareProcs), taking them out of the
// runtime's account; Close releases them with the rest.
func (s *Sched) releaseSpareProcs() int {
	s.procsMu.Lock()
	defer s.procsMu.Unlock()
	s.spareMu.Lock()
	defer s.spareMu.Unlock()
	if s.lowerTimer != nil {
		s.lowerTimer.Stop()
	}
	if !s.spareProcsUp.Load() {
		return 0
	}
	s.spareProcsUp.Store(false)
	return s.spareProcs
}
