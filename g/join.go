package g

import (
	"errors"
	"runtime/debug"
)

// joinPoolMax bounds a Thread's free Groups for Join. A Group is held only
// while its Join runs, so an M needs as many as it has Joins in flight at
// once: the nesting depth of the Gs on its stack plus its suspended Gs'.
// Past the bound, finished Groups are left to the GC.
const joinPoolMax = 256

// Join runs a and b, possibly in parallel, and returns once both have
// finished: the binary fork-join of Cilk's spawn/sync and rayon's join,
// without an allocation of its own.
//
// b is forked as a child of gp, as Group.Go would: another P may steal it.
// a runs inline on gp meanwhile. If b is still queued on gp's P when a
// returns, gp runs it inline too (work first); otherwise Join waits for
// it as Group.Wait does, never blocking the M.
//
// A panic in a or in b is recovered and returned as a *PanicError (both
// joined with errors.Join if both panic); Join always waits for b first,
// so neither function outlives the call. A nil a or b panics when called,
// and is reported the same way. After Close, b is reported as a
// *NotRunError. gp must be the running G.
//
// Join costs less than a Group: its Group comes from a free list of gp's
// M, and a, which is only called, does not escape, so neither it nor what
// it captures is allocated on the heap. Pass the smaller half as a: b is
// the half other Ps can take.
func (gp *G) Join(a, b func(*G)) error {
	if gp == nil {
		panic("usched: G.Join called on a nil *G")
	}
	th := gp.th
	grp := th.takeGroup()
	grp.Go(gp, b)
	aerr := callInline(gp, a)
	err := grp.Wait(gp)
	// Safe to reuse: n is zero and the failures are taken. A child that
	// took n to zero may still read (and swap out) the waiter word a moment
	// later; if a later Join has registered a waiter there by then, that
	// waiter gets a spurious Ready, which Wait's loop absorbs (it re-checks
	// n and parks again, and Park keeps a Ready that comes early).
	th.putGroup(grp)
	if aerr != nil {
		if err != nil {
			return errors.Join(aerr, err)
		}
		return aerr
	}
	return err
}

// callInline calls fn on gp's stack and returns its panic as a
// *PanicError. A function of its own so that its defer is open-coded.
func callInline(gp *G, fn func(*G)) (perr *PanicError) {
	defer func() {
		if r := recover(); r != nil {
			perr = Recovered(gp, r)
		}
	}()
	fn(gp)
	return nil
}

// Recovered builds the *PanicError of gp for the value r returned by
// recover. Call it from the deferred function that recovered, so that the
// stack still shows where the panic started.
func Recovered(gp *G, r any) *PanicError {
	return &PanicError{GID: gp.ID(), Value: r, Stack: debug.Stack()}
}

// takeGroup returns a zero Group from th's free list, or a new one.
func (th *Thread) takeGroup() *Group {
	if n := len(th.groups); n > 0 {
		grp := th.groups[n-1]
		th.groups[n-1] = nil
		th.groups = th.groups[:n-1]
		return grp
	}
	return new(Group)
}

// putGroup keeps a finished Join's Group for the next Join on th.
func (th *Thread) putGroup(grp *Group) {
	if len(th.groups) < joinPoolMax {
		th.groups = append(th.groups, grp)
	}
}
