package g

import (
	"errors"
	"sync"
	"sync/atomic"
)

// Group is a fork-join scope for Gs, like sync.WaitGroup plus errgroup for
// tasks: a G spawns children with Go and joins them with Wait.
//
// The zero Group is ready to use. A Group may be reused after Wait returns.
// Only one G may wait on a Group at a time, and Go and Wait must be called
// by a running G, passing that G; several Gs may call Go at once. As with
// sync.WaitGroup's Add, a Go from another G than the waiter must happen
// before the Wait that is to join its child, or from one of the children
// themselves. A Group costs no allocation: it stays on its G's stack, and
// its children report to a record the Ms recycle.
//
// Waiting never blocks the M: Wait first runs its own children that are
// still queued on its P inline (newest first, as Cilk and oneTBB do), and
// when none is left it suspends the G, letting the M run other work until
// the last child wakes it. Nested fork-join to any depth therefore cannot
// deadlock: every level either runs its children itself or waits for Ms
// that are running them. Wait never runs an unrelated G on top of the
// waiter, so a G that waits for the waiter in some other way (a Yield loop
// on a flag) cannot be trapped above it.
//
// A child that panics does not crash the program: the panic is recovered,
// the other children keep running, and Wait returns a *PanicError (use
// errors.As) with the value and stack. We chose reporting over re-panicking
// (conc's WaitGroup re-panics) because a re-panic would unwind the waiting
// G's stack through the scheduler, and because a runtime that hosts a
// million unrelated tasks should not be brought down by one of them; the
// error still carries the original stack, so nothing is hidden.
type Group struct {
	// state is the record the children report to: nil until the first Go
	// after a Wait, taken then from the free list of the caller's M and
	// given back by Wait. The children point to the record, never to the
	// Group, so a Group stays on its G's stack: fork-join code allocates
	// no Group. (An atomic.Pointer here would make every Group escape:
	// the compiler assumes sync/atomic's pointer functions leak their
	// address. Hence a plain pointer published by an atomic int.)
	state *GroupState
	// phase orders state: groupIdle (state nil), groupStarting (one Go is
	// installing a record), groupActive (state set; the store of
	// groupActive publishes it).
	phase atomic.Int32
}

// Group phases (Group.phase).
const (
	groupIdle int32 = iota
	groupStarting
	groupActive
)

// GroupState is a Group's record while it has children: how many have not
// finished, the G waiting for them, and their failures. Package m reaches
// it through GroupOf. Recycled by the Ms (see Group.Wait).
type GroupState struct {
	// n counts the children spawned and not finished. It is a plain
	// int64 reached through sync/atomic's functions, not an atomic.Int64,
	// so that it can be written with plain stores where no other thread
	// can reach it (see the package doc). First field: 64-bit aligned.
	n      int64
	waiter atomic.Pointer[G]          // the G parked in Wait, if any
	fail   atomic.Pointer[groupFails] // nil until a child fails: keeps the record at 24 bytes
}

// groupFails collects a Group's failures. It is allocated by the first
// failing child only, so that a GroupState stays small.
type groupFails struct {
	mu     sync.Mutex
	errs   []error // protected by mu
	notRun int64   // protected by mu
}

// Go spawns fn as a child of gp in grp. The child starts on gp's P and may
// be stolen by another P; it inherits gp's class. Panics if gp is nil (Go
// must be called from a G).
func (grp *Group) Go(gp *G, fn func(*G)) {
	if gp == nil {
		panic("usched: Group.Go called with a nil *G; use Runtime.Go from outside the runtime")
	}
	if grp.phase.Load() == groupActive { // publishes state
		grp.state.spawn(gp, fn)
		return
	}
	if gs, counted := grp.start(gp); counted {
		gs.spawnCounted(gp, fn)
	} else {
		gs.spawn(gp, fn)
	}
}

// spawn counts a child of the record and spawns it on gp's P.
func (gs *GroupState) spawn(gp *G, fn func(*G)) {
	atomic.AddInt64(&gs.n, 1)
	gs.spawnCounted(gp, fn)
}

// spawnCounted spawns a child of the record, already counted in n, on
// gp's P: the one tail of spawn, fork and a Group's first Go.
func (gs *GroupState) spawnCounted(gp *G, fn func(*G)) {
	gp.th.Sched.Spawn(gp, fn, gs, gp.Class())
}

// Settle is how an M that ran children of grp inline, and deferred their
// n completions (see Done), finishes a Wait without an atomic add: if
// those n are all the children grp still counts, no other thread can
// touch the count any more (every other child has finished and reported,
// and a Go from another G must happen before the Wait), so Settle zeroes
// it with a plain store and reports true; nobody needs waking, as the
// waiter is the G that ran them. Otherwise it changes nothing and the
// caller reports the completions with Done.
func Settle(grp *GroupState, n int64) bool {
	if atomic.LoadInt64(&grp.n) != n {
		return false
	}
	grp.n = 0
	return true
}

// fork is spawn for a record with one child, G.Join's. The record is the
// caller's alone until Spawn publishes the child, so the count is set
// with a plain store: the publication (an atomic store of the G) orders
// it before whatever the thread that takes the child does with it.
func (gs *GroupState) fork(gp *G, fn func(*G)) {
	gs.n = 1
	gs.spawnCounted(gp, fn)
}

// start gives grp a record from gp's M. Two Gs may start the same idle
// Group at once: one installs the record, the other yields until it is
// there (a few instructions, unless the installer's thread was switched
// out in between).
//
// The G that installs the record counts its own child in it with a plain
// store before publishing it (no other G can reach the record before),
// and reports counted: its Go then spawns without an atomic add.
func (grp *Group) start(gp *G) (gs *GroupState, counted bool) {
	if grp.phase.CompareAndSwap(groupIdle, groupStarting) {
		gs = gp.th.takeGroup()
		gs.n = 1
		grp.state = gs
		grp.phase.Store(groupActive)
		return gs, true
	}
	for grp.phase.Load() != groupActive {
		gp.Yield()
	}
	return grp.state, false
}

// Wait returns once every child spawned with Go has finished (or, after
// Close, been dropped). It returns nil, or the children's failures: a
// *PanicError per panicking child and a *NotRunError for children dropped
// by Close, joined with errors.Join when there are several. Panics if gp is
// nil.
func (grp *Group) Wait(gp *G) error {
	if gp == nil {
		panic("usched: Group.Wait called with a nil *G")
	}
	if grp.phase.Load() != groupActive {
		gp.Check()
		return nil // no child since the last Wait
	}
	err := grp.state.join(gp)
	grp.state = nil
	grp.phase.Store(groupIdle)
	return err
}

// join is Wait on the record (Group.Wait and G.Join): it runs or waits for
// the children, takes their failures, and gives the record back to gp's
// M. Reuse is safe: n is zero and the failures are taken. A child that
// took n to zero may still read (and swap out) the waiter word a moment
// later; if the record's next user has registered a waiter there by then,
// that waiter gets a spurious Ready, which the loop below absorbs (it
// re-checks n and parks again, and Park keeps a Ready that comes early).
// The record can only be reused by gp's M after gp moves on, so giving it
// back before the caller resets its Group is safe too.
func (gs *GroupState) join(gp *G) error {
	sched := gp.th.Sched
	for atomic.LoadInt64(&gs.n) != 0 {
		if sched.Help(gp, gs) {
			continue
		}
		// Nothing local to run: register as the waiter and park. The
		// re-check after the Store pairs with the Swap in Done (both SC):
		// either Done sees the waiter, or we see n == 0.
		gs.waiter.Store(gp)
		if atomic.LoadInt64(&gs.n) == 0 && gs.waiter.CompareAndSwap(gp, nil) {
			break
		}
		// Either children are still running, or the last one already took
		// the waiter and is readying us: both end in a Ready.
		sched.Park(gp)
	}
	gp.Check()
	err := gs.takeErr()
	gp.th.putGroup(gs)
	return err
}

// Done records in grp that n children finished, the first with err (a
// *PanicError) or nil, and returns the waiter to make runnable when they
// were the last. Package m batches the completions of children that ran on
// one M into one call, so that a stolen batch of children does not move
// the counter's cache line between CPUs once per child. Only package m
// calls it.
func Done(grp *GroupState, n int64, err error) *G {
	if err != nil {
		f := grp.fails()
		f.mu.Lock()
		f.errs = append(f.errs, err)
		f.mu.Unlock()
	}
	return grp.release(n)
}

// DropNotRun records in grp that a child was dropped without running (the
// runtime was closed) and returns the waiter to wake, as Done does.
func DropNotRun(grp *GroupState) *G {
	f := grp.fails()
	f.mu.Lock()
	f.notRun++
	f.mu.Unlock()
	return grp.release(1)
}

// release counts n children out; the last takes the waiter. The Swap pairs
// with the Store and re-check in Wait (all SC).
func (grp *GroupState) release(n int64) *G {
	if atomic.AddInt64(&grp.n, -n) != 0 {
		return nil
	}
	// Usually nobody waits yet (the waiter ran the child inline): a load
	// instead of an XCHG. Sound: if this load misses a waiter, its Store
	// comes after our Add in the SC order, so its re-check of n sees 0
	// and it does not park.
	if grp.waiter.Load() == nil {
		return nil
	}
	return grp.waiter.Swap(nil)
}

// fails returns the Group's failure record, allocating it on first use.
func (grp *GroupState) fails() *groupFails {
	if f := grp.fail.Load(); f != nil {
		return f
	}
	grp.fail.CompareAndSwap(nil, new(groupFails))
	return grp.fail.Load()
}

// takeErr returns the failures recorded since the last Wait and clears
// them. Called by the waiter once n is zero, so no child writes
// concurrently.
func (grp *GroupState) takeErr() error {
	f := grp.fail.Load()
	if f == nil {
		return nil
	}
	grp.fail.Store(nil)
	f.mu.Lock()
	defer f.mu.Unlock()
	errs := f.errs
	if f.notRun > 0 {
		errs = append(errs, &NotRunError{Count: f.notRun})
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// groupPoolMax bounds a Thread's free GroupStates. A GroupState is held
// from a Group's first Go to its Wait, so an M needs as many as it has
// Groups with children at once: about the nesting depth of the fork-join
// on its stack plus its suspended Gs'. Past the bound, records are left to
// the GC.
const groupPoolMax = 256

// takeGroup returns a zero GroupState from th's free list, or a new one.
func (th *Thread) takeGroup() *GroupState {
	if n := len(th.groups); n > 0 {
		gs := th.groups[n-1]
		th.groups = th.groups[:n-1]
		return gs
	}
	return new(GroupState)
}

// putGroup keeps a finished Group's record for the next Group on th.
func (th *Thread) putGroup(gs *GroupState) {
	if len(th.groups) < groupPoolMax {
		th.groups = append(th.groups, gs)
	}
}
