package g

import "time"

// Sched is what a running G needs from the M that runs it. It is
// implemented by m.M; every method except Ready must be called from the G
// that is running on that M (gp is that G).
type Sched interface {
	// Spawn creates a child G of class c running fn on the caller's P.
	// grp, if not nil, has already counted the child.
	Spawn(gp *G, fn func(*G), grp *GroupState, c Class)
	// Yield puts gp behind the other runnable Gs of its P and runs them.
	Yield(gp *G)
	// Help runs one child of grp that is queued on gp's P inline, on gp's
	// stack, and reports whether it found one. Used by Group.Wait
	// (work-first join). Only grp's own children are run this way: an
	// unrelated G run on top of the waiter could wait for the waiter
	// itself and never return.
	Help(gp *G, grp *GroupState) bool
	// Unfork is Help for G.Join, whose record has one child. If that
	// child is still queued on gp's P, Unfork runs it inline, and if it
	// returns normally Unfork reports true without counting it out of
	// grp: no other thread saw grp, so the caller resets the count with a
	// store instead of an atomic add. Otherwise (the child was stolen,
	// panicked, or was dropped by Close) the child is reported to grp as
	// usual, and Unfork returns false.
	Unfork(gp *G, grp *GroupState) bool
	// Park suspends gp until Ready(gp) is called. A Ready that happens
	// before Park (after gp registered itself somewhere) is not lost.
	Park(gp *G)
	// Ready makes the parked gp runnable again. Callable from any M or
	// goroutine; it wakes gp's M if that M is parked.
	Ready(gp *G)
	// Preempted is called by Check when the preempt word is set.
	Preempted(gp *G)
	// Sleep suspends gp for at least d, on its M's timer heap.
	Sleep(gp *G, d time.Duration)
	// EnterSyscall and ExitSyscall bracket a blocking call gp makes on its
	// M's thread (package hook): while the call lasts, the watcher may
	// hand the M's work to a spare M; ExitSyscall takes it back.
	EnterSyscall(gp *G)
	ExitSyscall(gp *G)
}

// Thread is the per-M record a running G reaches through ThreadOf: the
// scheduler interface and the preempt word. It is allocated by package m,
// one per M, and never moves.
type Thread struct {
	// Preempt points to the M's preempt word in package preempt's table:
	// set non-zero by the watcher when the running G overran its quantum,
	// polled by G.Check (one load and a branch), cleared by the M; atomic.
	// Set once, before any G runs.
	Preempt *uint64
	// Sched is the M behind this thread. Set once, before any G runs.
	Sched Sched
	// groups are free GroupStates for Groups and G.Join. Only the G
	// running on this M touches them, so they need no lock.
	groups []*GroupState
}
