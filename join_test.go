package usched_test

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usched/usched"
)

// fibJoin forks fib(n-1) with G.Join and computes fib(n-2) inline.
func fibJoin(gp *usched.G, n int) int {
	if n < 2 {
		return n
	}
	var x, y int
	if err := gp.Join(
		func(c *usched.G) { y = fibJoin(c, n-2) },
		func(c *usched.G) { x = fibJoin(c, n-1) },
	); err != nil {
		panic(err)
	}
	return x + y
}

// TestJoinFib: nested Joins compute the right value on every P count and
// under every policy, and every forked half ran as a G.
func TestJoinFib(t *testing.T) {
	const n, want = 22, 17711
	// One Join per call with n >= 2, that is fib(n+1)-1 of them, each
	// forking one G, plus the root.
	const gs = 28657 - 1 + 1
	var cfgs []usched.Config
	for _, procs := range procsList {
		cfgs = append(cfgs, usched.Config{Procs: procs})
	}
	cfgs = append(cfgs, usched.Config{Procs: 2, Policy: usched.Priority}, usched.Config{Procs: 2, Policy: usched.Centralized})
	for _, cfg := range cfgs {
		t.Run(cfg.Policy.String()+"/"+strconv.Itoa(cfg.Procs), func(t *testing.T) {
			rt := newRuntime(t, cfg)
			var got int
			rt.Go(func(gp *usched.G) { got = fibJoin(gp, n) })
			require.NoError(t, rt.Wait())
			require.Equal(t, want, got)
			require.EqualValues(t, gs, rt.Stats().Total().FinishedGs)
		})
	}
}

// TestJoinTreesExactlyOnce runs random trees whose nodes fork with Join
// (and sometimes with a plain G.Go beside it): every node must run exactly
// once, and each Join must return only after both halves finished.
func TestJoinTreesExactlyOnce(t *testing.T) {
	total := 300_000
	if raceEnabled {
		total = 30_000
	}
	for _, procs := range procsList {
		t.Run(strconv.Itoa(procs), func(t *testing.T) {
			rt := newRuntime(t, usched.Config{Procs: procs})
			ran := make([]atomic.Uint32, total)
			var next atomic.Int64
			var early atomic.Int64 // Joins that returned before a half ended
			var node func(gp *usched.G, me int64, seed uint64)
			node = func(gp *usched.G, me int64, seed uint64) {
				ran[me].Add(1)
				rng := rand.New(rand.NewPCG(seed, uint64(me)))
				if rng.IntN(4) == 0 {
					if child := next.Add(1) - 1; child < int64(total) {
						s := rng.Uint64()
						gp.Go(func(c *usched.G) { node(c, child, s) })
					}
				}
				a, b := next.Add(1)-1, next.Add(1)-1
				if b >= int64(total) {
					if a < int64(total) {
						node(gp, a, rng.Uint64())
					}
					return
				}
				sa, sb := rng.Uint64(), rng.Uint64()
				var doneA, doneB atomic.Bool
				err := gp.Join(
					func(c *usched.G) { node(c, a, sa); doneA.Store(true) },
					func(c *usched.G) {
						if sb%8 == 0 {
							c.Yield() // suspend the forked half now and then
						}
						node(c, b, sb)
						doneB.Store(true)
					})
				if err != nil {
					panic(err)
				}
				if !doneA.Load() || !doneB.Load() {
					early.Add(1)
				}
			}
			runForest(t, rt, &next, ran, 16, node)
			require.Zero(t, early.Load(), "a Join returned before both halves finished")
			tot := rt.Stats().Total()
			require.Equal(t, tot.SpawnedGs+rt.Stats().SubmittedGs, tot.FinishedGs)
			require.Zero(t, tot.NotRunGs)
		})
	}
}

// TestJoinPanics: a panic in either half comes back from Join as a
// *PanicError with its value and stack, after the other half finished;
// two panics come back joined; the runtime keeps going.
func TestJoinPanics(t *testing.T) {
	// On one P nothing can steal b, so Join takes it back and runs it
	// inline (M.Unfork) whenever a does not yield: that path must report
	// b's panic too. On two Ps b is often stolen.
	for _, procs := range []int{1, 2} {
		t.Run(strconv.Itoa(procs), func(t *testing.T) { testJoinPanics(t, procs) })
	}
}

func testJoinPanics(t *testing.T, procs int) {
	rt := newRuntime(t, usched.Config{Procs: procs})
	type result struct {
		err       error
		otherDone bool
	}
	var inA, inB, inBoth result
	var nilFuncs error // nil functions panic when called, as rt.Go(nil) does
	rt.Go(func(gp *usched.G) {
		var done atomic.Bool
		inA.err = gp.Join(func(*usched.G) { panicHere("a") }, func(c *usched.G) { c.Yield(); done.Store(true) })
		inA.otherDone = done.Load()

		done.Store(false)
		inB.err = gp.Join(func(c *usched.G) { c.Yield(); done.Store(true) }, func(*usched.G) { panicHere("b") })
		inB.otherDone = done.Load()

		inBoth.err = gp.Join(func(*usched.G) { panic("a2") }, func(*usched.G) { panic("b2") })
		nilFuncs = gp.Join(nil, nil)
	})
	require.NoError(t, rt.Wait(), "the G that called Join did not panic")

	var pe *usched.PanicError
	require.ErrorAs(t, inA.err, &pe)
	require.Equal(t, "a", pe.Value)
	require.Contains(t, string(pe.Stack), "panicHere", "stack must show where a panicked")
	require.True(t, inA.otherDone, "Join returned before b finished")

	require.ErrorAs(t, inB.err, &pe)
	require.Equal(t, "b", pe.Value)
	require.Contains(t, string(pe.Stack), "panicHere")
	require.True(t, inB.otherDone, "Join returned before a finished")

	var values []any
	for _, err := range inBoth.err.(interface{ Unwrap() []error }).Unwrap() {
		require.True(t, errors.As(err, &pe))
		values = append(values, pe.Value)
	}
	require.ElementsMatch(t, []any{"a2", "b2"}, values)
	require.Len(t, nilFuncs.(interface{ Unwrap() []error }).Unwrap(), 2)
	require.ErrorAs(t, nilFuncs, &pe)
	require.EqualValues(t, 3, rt.Stats().Total().PanickedGs, "only the forked halves are Gs")

	var after atomic.Bool
	rt.Go(func(*usched.G) { after.Store(true) })
	require.NoError(t, rt.Wait())
	require.True(t, after.Load())
}

// TestJoinRecordReuse: a Join whose forked half ran inline (on one P
// nothing steals it) gives its record back to the M with a zero count, so
// the Group that reuses the record next waits only for its own child. If
// the count were left at one, that Wait would never return: the test
// then fails after waitOrHang's minute (and its Close waits for ever, as
// documented for a G that never returns, until go test's -timeout).
func TestJoinRecordReuse(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 1})
	var ran atomic.Int64
	inc := func(*usched.G) { ran.Add(1) }
	var errs []error
	rt.Go(func(gp *usched.G) {
		for range 100 {
			errs = append(errs, gp.Join(inc, inc))
			var grp usched.Group
			grp.Go(gp, inc)
			errs = append(errs, grp.Wait(gp))
		}
	})
	waitOrHang(t, rt)
	require.NoError(t, errors.Join(errs...))
	require.EqualValues(t, 300, ran.Load())
}
