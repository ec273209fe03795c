package g

import (
	"errors"
	"runtime/debug"
)

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
// When b is not stolen, Join takes it back and runs it inline without an
// atomic operation on its record (Sched.Unfork): what is left are the
// P's queue operations that put b where thieves can see it and decide
// whether one took it.
//
// Join allocates nothing of its own: a, which is only called, does not
// escape, so neither it nor what it captures is allocated on the heap
// (with a Group, the work done inline is a plain call, which does not
// escape either). Pass the smaller half as a: b is the half other Ps can
// take.
func (gp *G) Join(a, b func(*G)) error {
	if gp == nil {
		panic("usched: G.Join called on a nil *G")
	}
	// A Group without its handle: the record straight from the M's free
	// list, since only this call can spawn into it (a Group's first Go
	// costs a CAS and a publication that Join does not need).
	gs := gp.th.takeGroup()
	gs.fork(gp, b)
	aerr := callInline(gp, a)
	if gp.th.Sched.Unfork(gp, gs) {
		// b ran inline and returned: no other thread saw the record
		// since fork, so its count goes back to zero with a plain store
		// and the join below finds nothing to wait for.
		gs.n = 0
	}
	err := gs.join(gp)
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
