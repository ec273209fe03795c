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
// by a running G, passing that G.
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
	n      atomic.Int64               // children spawned and not finished
	waiter atomic.Pointer[G]          // the G parked in Wait, if any
	fail   atomic.Pointer[groupFails] // nil until a child fails: keeps the Group at 24 bytes
}

// groupFails collects a Group's failures. It is allocated by the first
// failing child only: a Group is allocated per fork in fork-join code, and
// its size is garbage the GC must chase.
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
	grp.n.Add(1)
	gp.th.Sched.Spawn(gp, fn, grp, gp.Class())
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
	sched := gp.th.Sched
	for grp.n.Load() != 0 {
		if sched.Help(gp, grp) {
			continue
		}
		// Nothing local to run: register as the waiter and park. The
		// re-check after the Store pairs with the Swap in Done (both SC):
		// either Done sees the waiter, or we see n == 0.
		grp.waiter.Store(gp)
		if grp.n.Load() == 0 && grp.waiter.CompareAndSwap(gp, nil) {
			break
		}
		// Either children are still running, or the last one already took
		// the waiter and is readying us: both end in a Ready.
		sched.Park(gp)
	}
	gp.Check()
	return grp.takeErr()
}

// Done records in grp that n children finished, the first with err (a
// *PanicError) or nil, and returns the waiter to make runnable when they
// were the last. Package m batches the completions of children that ran on
// one M into one call, so that a stolen batch of children does not move
// the counter's cache line between CPUs once per child. Only package m
// calls it.
func Done(grp *Group, n int64, err error) *G {
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
func DropNotRun(grp *Group) *G {
	f := grp.fails()
	f.mu.Lock()
	f.notRun++
	f.mu.Unlock()
	return grp.release(1)
}

// release counts n children out; the last takes the waiter. The Swap pairs
// with the Store and re-check in Wait (all SC).
func (grp *Group) release(n int64) *G {
	if grp.n.Add(-n) != 0 {
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
func (grp *Group) fails() *groupFails {
	if f := grp.fail.Load(); f != nil {
		return f
	}
	grp.fail.CompareAndSwap(nil, new(groupFails))
	return grp.fail.Load()
}

// takeErr returns the failures recorded since the last Wait and clears
// them. Called by the waiter once n is zero, so no child writes
// concurrently.
func (grp *Group) takeErr() error {
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
