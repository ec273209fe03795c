package m

import (
	"fmt"

	"github.com/usched/usched/g"
	"github.com/usched/usched/p"
)

// Policy decides where runnable Gs wait and in which order an M takes
// them. The M around it keeps everything a policy must not get wrong: the
// coroutine star, the resume queues of suspended Gs (bound to their M for
// life), parking and spinning, timers, preemption, spares, accounting and
// Close. A policy is one file in this package.
//
// # Writing a policy
//
//   - Unstarted Gs are the policy's: it queues them in Spawned and
//     Submitted, anywhere it likes (a P's deque, a shared queue), and hands
//     them out in Next and Steal. Any M may run an unstarted G.
//   - A suspended G is bound to its M. Yielded gives the policy such a G
//     back (it yielded, or was preempted); the policy must return it from
//     Next or Steal called with that same M, never another. Gs readied by
//     other code (a wait ended, a timer fired) arrive in the M's own
//     resume queues, which the policy drains with M.takeResume or
//     M.drainResume: it decides when.
//   - Next and Steal run on the M's thread and must not block. Spawned,
//     Yielded, Next, Steal and TakeChild run on the M named; Submitted on
//     any goroutine; Pending, Queued and GlobalQueued on any thread.
//   - After queueing, the policy wakes an idle M (Sched.wakep) when work
//     someone else could take appeared, as Go's runtime does; the parking
//     protocol (doc.go) relies on Pending never missing a completed push.
//   - Nothing may be lost: a G given to the policy comes out of Next,
//     Steal or TakeChild exactly once (after Close the M drops it as not
//     run, so the policy has nothing to do for Close).
type Policy interface {
	// Name is the policy's name for Stats.
	Name() string
	// Spawned queues gp, unstarted, spawned by parent running on mp. It
	// may make parent yield (backpressure).
	Spawned(mp *M, parent, gp *g.G)
	// Submitted queues gp, unstarted, from outside the runtime.
	Submitted(gp *g.G)
	// Yielded queues gp, suspended on mp, which yielded; preempted says
	// the watcher (or a policy) asked it to.
	Yielded(mp *M, gp *g.G, preempted bool)
	// Next returns the next G for mp from its own queues and the shared
	// ones, or nil. fair is set every fairnessTicks rounds: queues that a
	// busy M looks at last go first then. mp.afterYield is set in the
	// round after a G yielded or was preempted: that G goes behind the
	// Gs submitted from outside before it.
	Next(mp *M, fair bool) *g.G
	// Steal makes one pass over the other Ps (first, if not nil, before
	// the rest) and returns a G for mp, or nil.
	Steal(mp *M, first *p.P) *g.G
	// TakeChild returns an unstarted child of grp queued on mp's own P,
	// of class c, to run inline in the waiter's Group.Wait, or nil.
	TakeChild(mp *M, grp *g.GroupState, c g.Class) *g.G
	// Pending reports whether a G that mp could take may be queued in the
	// policy's queues. It never returns false while a push completed
	// before the call is pending.
	Pending(mp *M) bool
	// Queued is a racy count of the Gs queued on pp; GlobalQueued of the
	// Gs in shared queues (for Stats).
	Queued(pp *p.P) int
	GlobalQueued() int64
}

// readier is an optional method of a Policy: Readied is called after a G
// of class c, bound to owner, was pushed on owner's resume queue by
// another thread (the policy may ask owner's running G to yield for it).
// Any thread. It gets the class, not the G: once pushed, the G may
// already have run and been reused.
type readier interface {
	Readied(owner *M, c g.Class)
}

// PolicyKind names a built-in policy.
type PolicyKind uint8

const (
	WorkStealing PolicyKind = iota // per-P deques, idle Ps steal (policy_workstealing.go)
	Priority                       // classes, each work-stealing (policy_priority.go)
	Centralized                    // Shinjuku: one global FIFO (policy_centralized.go)
)

// newPolicy builds the policy cfg names for s. It runs in New after the
// Ms and Ps exist and before any M starts.
func newPolicy(s *Sched, cfg Config) (Policy, error) {
	switch cfg.Policy {
	case WorkStealing:
		return newWorkStealing(s), nil
	case Priority:
		return newPriority(s, cfg.Aging), nil
	case Centralized:
		return newCentralized(s), nil
	}
	return nil, fmt.Errorf("usched: unknown policy %d", cfg.Policy)
}
