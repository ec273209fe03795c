package usched_test

import (
	"errors"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usched/usched"
)

// newRuntime starts a runtime and closes it when the test ends.
func newRuntime(t testing.TB, cfg usched.Config) *usched.Runtime {
	t.Helper()
	rt, err := usched.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = rt.Close() })
	return rt
}

// procsList is the set of Procs values the scheduler tests run with: one P
// (no stealing), two (this machine's cores) and four (more Ms than CPUs).
var procsList = []int{1, 2, 4}

// TestMillionGsRandomTrees spawns random trees of Gs (plain G.Go children
// and Group fork-join, mixed) until a million Gs exist, and checks that each
// ran exactly once and that the runtime's counters balance.
func TestMillionGsRandomTrees(t *testing.T) {
	total := 1_000_000
	switch {
	case raceEnabled:
		// The race detector's memory grows with every goroutine that ever
		// existed (each scheduler coroutine is one): about 1 GB a run of
		// 100,000 Gs. The full million runs without -race.
		total = 50_000
	case testing.Short():
		total = 100_000
	}
	for _, procs := range procsList {
		t.Run(strconv.Itoa(procs), func(t *testing.T) {
			rt := newRuntime(t, usched.Config{Procs: procs})
			ran := make([]atomic.Uint32, total)
			var next atomic.Int64 // G numbers handed out
			var node func(gp *usched.G, me int64, seed uint64)
			node = func(gp *usched.G, me int64, seed uint64) {
				ran[me].Add(1)
				rng := rand.New(rand.NewPCG(seed, uint64(me)))
				fanout := rng.IntN(8)
				var grp usched.Group
				useGroup := rng.IntN(2) == 0
				for range fanout {
					child := next.Add(1) - 1
					if child >= int64(total) {
						break
					}
					s := rng.Uint64()
					fn := func(c *usched.G) { node(c, child, s) }
					if useGroup {
						grp.Go(gp, fn)
					} else {
						gp.Go(fn)
					}
				}
				if useGroup {
					if err := grp.Wait(gp); err != nil {
						panic(err)
					}
				}
			}
			runForest(t, rt, &next, ran, 64, node)
			st := rt.Stats()
			tot := st.Total()
			require.Equal(t, uint64(total), st.SubmittedGs+tot.SpawnedGs, "Gs created")
			require.Equal(t, uint64(total), tot.FinishedGs, "Gs finished")
			require.Equal(t, uint64(total), tot.RanGs, "Gs started")
			require.Zero(t, tot.NotRunGs)
		})
	}
}

// runForest submits root nodes, numbered from next, until next has handed
// out len(ran) numbers (the nodes number their own children from next
// too), waiting for the runtime every batch roots so that the trees grow
// before more roots come. Then it fails the test unless every node ran
// exactly once (ran[i] counts node i's runs).
func runForest(t *testing.T, rt *usched.Runtime, next *atomic.Int64, ran []atomic.Uint32, batch int,
	node func(gp *usched.G, me int64, seed uint64)) {
	t.Helper()
	total := int64(len(ran))
	roots := 0
	for next.Load() < total {
		me := next.Add(1) - 1
		if me >= total {
			break
		}
		roots++
		rt.Go(func(gp *usched.G) { node(gp, me, uint64(me)) })
		if roots%batch == 0 {
			require.NoError(t, rt.Wait())
		}
	}
	require.NoError(t, rt.Wait())
	for i := range ran {
		if n := ran[i].Load(); n != 1 {
			t.Fatalf("node %d ran %d times, want exactly once", i, n)
		}
	}
}

// TestNestedWaitDepth nests fork-join 10,000 levels deep, with Group.Wait
// and with G.Join: each level forks the next level and an empty sibling
// (so that other Ms have something to steal and the chain of waiters
// crosses Ms), and joins.
func TestNestedWaitDepth(t *testing.T) {
	const depth = 10_000
	joins := map[string]func(gp *usched.G, next func(*usched.G)) error{
		"group": func(gp *usched.G, next func(*usched.G)) error {
			var grp usched.Group
			grp.Go(gp, next)
			grp.Go(gp, func(*usched.G) {})
			return grp.Wait(gp)
		},
		"join": func(gp *usched.G, next func(*usched.G)) error {
			return gp.Join(func(*usched.G) {}, next)
		},
	}
	for name, join := range joins {
		for _, procs := range procsList {
			t.Run(name+"/"+strconv.Itoa(procs), func(t *testing.T) {
				rt := newRuntime(t, usched.Config{Procs: procs})
				var deepest atomic.Int64
				var level func(gp *usched.G, n int64)
				level = func(gp *usched.G, n int64) {
					if n == depth {
						deepest.Store(n)
						return
					}
					if err := join(gp, func(c *usched.G) { level(c, n+1) }); err != nil {
						panic(err)
					}
				}
				rt.Go(func(gp *usched.G) { level(gp, 0) })
				require.NoError(t, rt.Wait())
				require.EqualValues(t, depth, deepest.Load())
			})
		}
	}
}

// TestYieldInterleaving runs two Gs on one P that log their steps and yield
// after each: the log must alternate strictly.
func TestYieldInterleaving(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 1})
	const steps = 1000
	var log []byte // only touched by Gs of the single P, one at a time
	rt.Go(func(gp *usched.G) {
		var grp usched.Group
		for _, name := range []byte("ab") {
			grp.Go(gp, func(c *usched.G) {
				for range steps {
					log = append(log, name)
					c.Yield()
				}
			})
		}
		if err := grp.Wait(gp); err != nil {
			panic(err)
		}
	})
	require.NoError(t, rt.Wait())
	require.Len(t, log, 2*steps)
	for i := 1; i < len(log); i++ {
		if log[i] == log[i-1] {
			t.Fatalf("step %d: %q ran twice in a row; log starts %q", i, log[i], log[:min(len(log), 40)])
		}
	}
	require.EqualValues(t, 2*steps, rt.Stats().Total().Yields)
}

// TestYieldAlone: a G that yields with nothing else runnable continues.
func TestYieldAlone(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 1})
	var n atomic.Int64
	rt.Go(func(gp *usched.G) {
		for range 100 {
			gp.Yield()
			n.Add(1)
		}
	})
	require.NoError(t, rt.Wait())
	require.EqualValues(t, 100, n.Load())
}

// TestYieldManyGs: many Gs yielding on several Ps all finish, and every
// yield is counted.
func TestYieldManyGs(t *testing.T) {
	for _, procs := range procsList {
		t.Run(strconv.Itoa(procs), func(t *testing.T) {
			rt := newRuntime(t, usched.Config{Procs: procs})
			const gs, yields = 1000, 20
			var done atomic.Int64
			for range gs {
				rt.Go(func(gp *usched.G) {
					for range yields {
						gp.Yield()
					}
					done.Add(1)
				})
			}
			require.NoError(t, rt.Wait())
			require.EqualValues(t, gs, done.Load())
			require.EqualValues(t, gs*yields, rt.Stats().Total().Yields)
		})
	}
}

// TestGroupStartedByManyGs: several Gs call Go on the same idle Group at
// once (one of them installs its record, the others wait for it), the
// waiter then joins all their children, and the Group is reused for the
// next round. Every child ran exactly once, before its round's Wait
// returned.
func TestGroupStartedByManyGs(t *testing.T) {
	const rounds, adders, each = 50, 8, 16
	for _, procs := range procsList {
		t.Run(strconv.Itoa(procs), func(t *testing.T) {
			rt := newRuntime(t, usched.Config{Procs: procs})
			var ran [rounds][adders * each]atomic.Int32
			var early atomic.Int32
			rt.Go(func(gp *usched.G) {
				var grp usched.Group
				for r := range rounds {
					var added atomic.Int32
					for a := range adders {
						gp.Go(func(c *usched.G) {
							for i := range each {
								grp.Go(c, func(*usched.G) { ran[r][a*each+i].Add(1) })
							}
							added.Add(1)
						})
					}
					for added.Load() < adders {
						gp.Yield()
					}
					if err := grp.Wait(gp); err != nil {
						panic(err)
					}
					for i := range ran[r] {
						if ran[r][i].Load() != 1 {
							early.Add(1)
						}
					}
				}
			})
			require.NoError(t, rt.Wait())
			require.Zero(t, early.Load(), "a child had not run exactly once when its round's Wait returned")
		})
	}
}

// TestPanicInGroup: a panicking child is reported to Group.Wait with its
// value and stack; its siblings still run and the runtime keeps going.
func TestPanicInGroup(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 2})
	var siblings atomic.Int64
	var werr error
	rt.Go(func(gp *usched.G) {
		var grp usched.Group
		grp.Go(gp, func(*usched.G) { panicHere("boom") })
		for range 100 {
			grp.Go(gp, func(*usched.G) { siblings.Add(1) })
		}
		werr = grp.Wait(gp)
	})
	require.NoError(t, rt.Wait(), "the root G did not panic")
	var pe *usched.PanicError
	require.ErrorAs(t, werr, &pe)
	require.Equal(t, "boom", pe.Value)
	require.Contains(t, string(pe.Stack), "panicHere", "stack must show where the G panicked")
	require.EqualValues(t, 100, siblings.Load())

	// The runtime still runs Gs afterwards.
	var after atomic.Bool
	rt.Go(func(*usched.G) { after.Store(true) })
	require.NoError(t, rt.Wait())
	require.True(t, after.Load())
	require.EqualValues(t, 1, rt.Stats().Total().PanickedGs)
}

//go:noinline
func panicHere(v any) { panic(v) }

// TestPanicRoot: root Gs' panics go to Runtime.Wait, all of them, and an
// error value passed to panic is reachable with errors.Is.
func TestPanicRoot(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 2})
	sentinel := errors.New("sentinel")
	rt.Go(func(*usched.G) { panic(sentinel) })
	rt.Go(func(gp *usched.G) { gp.Go(func(*usched.G) { panic("child") }) })
	err := rt.Wait()
	require.ErrorIs(t, err, sentinel)
	var pe *usched.PanicError
	require.ErrorAs(t, err, &pe)
	require.Contains(t, err.Error(), "child")
	require.NoError(t, rt.Wait(), "errors are reported once")
}

// TestNilFunc: a nil function is a panic of that G, reported, not a crash.
func TestNilFunc(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 1})
	rt.Go(nil)
	var pe *usched.PanicError
	require.ErrorAs(t, rt.Wait(), &pe)
}

func TestGoFromManyGoroutines(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 2})
	const submitters, each = 8, 5000
	ran := make([]atomic.Uint32, submitters*each)
	var wg sync.WaitGroup
	for s := range submitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				k := s*each + i
				rt.Go(func(*usched.G) { ran[k].Add(1) })
			}
		}()
	}
	wg.Wait()
	require.NoError(t, rt.Wait())
	for i := range ran {
		require.EqualValues(t, 1, ran[i].Load(), "G %d", i)
	}
	require.EqualValues(t, submitters*each, rt.Stats().SubmittedGs)
}

// TestGIDsUnique: Gs alive at the same time have distinct IDs.
func TestGIDsUnique(t *testing.T) {
	const n = 1000
	rt := newRuntime(t, usched.Config{Procs: 2})
	var mu sync.Mutex
	seen := map[uint64]bool{}
	var started, recorded atomic.Int64
	// barrier yields until all n Gs have passed it.
	barrier := func(c *usched.G, passed *atomic.Int64) {
		passed.Add(1)
		for passed.Load() < n {
			c.Yield()
		}
	}
	rt.Go(func(gp *usched.G) {
		var grp usched.Group
		for range n {
			grp.Go(gp, func(c *usched.G) {
				// Every G is alive (started, not finished) while the IDs
				// are recorded, so no ID can have been reused.
				barrier(c, &started)
				mu.Lock()
				seen[c.ID()] = true
				mu.Unlock()
				barrier(c, &recorded)
			})
		}
		_ = grp.Wait(gp)
	})
	require.NoError(t, rt.Wait())
	require.Len(t, seen, n)
}

func TestGOMAXPROCSRule(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	rt, err := usched.New(usched.Config{Procs: 3})
	require.NoError(t, err)
	require.GreaterOrEqual(t, runtime.GOMAXPROCS(0), 4, "GOMAXPROCS must leave Go a P beside the Ms")
	require.Equal(t, runtime.GOMAXPROCS(0), rt.Stats().GOMAXPROCS)
	require.NoError(t, rt.Close())
	require.Equal(t, before, runtime.GOMAXPROCS(0), "Close restores GOMAXPROCS")
}

// TestSpawnLoopBackpressure: a G that spawns a long loop of children on one
// P is made to yield, so the queue stays bounded; every child still runs
// exactly once.
func TestSpawnLoopBackpressure(t *testing.T) {
	for _, pol := range []usched.Policy{usched.WorkStealing, usched.Priority, usched.Centralized} {
		t.Run(pol.String(), func(t *testing.T) { testSpawnLoopBackpressure(t, pol) })
	}
}

func testSpawnLoopBackpressure(t *testing.T, pol usched.Policy) {
	// Preemption off: the loop's only yields are backpressure's.
	rt := newRuntime(t, usched.Config{Procs: 1, Policy: pol, Preempt: usched.PreemptOff})
	const n = 300_000
	// maxPendingGs bounds the Gs spawned and not finished at any time:
	// the queue's backpressure threshold (1024) plus one loop's spawns.
	// A loop that, once resumed, spawned more Gs than its P ran before
	// resuming it let the queue creep up by a few Gs a round, without
	// bound: 24,021 pending under WorkStealing before M.backpressure kept
	// it marked, and all 300,000 under Centralized, which had no
	// backpressure. (Counted by the Gs themselves: Stats are published
	// when the M schedules, which a loop that never yields does not let
	// it do.)
	const maxPendingGs = 4096
	ran := make([]atomic.Uint32, n)
	var finished atomic.Int64
	var maxPending int64
	rt.Go(func(gp *usched.G) {
		for i := range n {
			gp.Go(func(*usched.G) { ran[i].Add(1); finished.Add(1) })
			maxPending = max(maxPending, int64(i+1)-finished.Load())
		}
	})
	require.NoError(t, rt.Wait())
	require.LessOrEqual(t, maxPending, int64(maxPendingGs), "a spawning loop's queue must stay bounded")
	for i := range ran {
		require.EqualValues(t, 1, ran[i].Load(), "G %d", i)
	}
	tot := rt.Stats().Total()
	require.NotZero(t, tot.Backpressures, "a spawning loop that outruns its P must yield")
	require.NotZero(t, tot.Yields)
}

// TestWaitDoesNotRunUnrelatedGsInline: a G that yields until its parent
// has finished a Group.Wait must not be run on top of that Wait (it would
// wait for the G beneath it forever), and completions another M deferred
// must reach the waiter. The runtime must finish; a hang fails the test
// by its timeout (it hangs if Help runs any queued G).
func TestWaitDoesNotRunUnrelatedGsInline(t *testing.T) {
	for _, procs := range procsList {
		t.Run(strconv.Itoa(procs), func(t *testing.T) {
			rt := newRuntime(t, usched.Config{Procs: procs})
			for range 50 {
				var joined atomic.Bool
				rt.Go(func(gp *usched.G) {
					var grp usched.Group
					for range 200 {
						grp.Go(gp, func(*usched.G) {})
					}
					// Queued last, so it is the newest G on the P: the
					// first thing Wait finds.
					gp.Go(func(c *usched.G) {
						for !joined.Load() {
							c.Yield()
						}
					})
					if err := grp.Wait(gp); err != nil {
						panic(err)
					}
					joined.Store(true)
				})
				require.NoError(t, rt.Wait())
			}
		})
	}
}

// TestOutsideSubmissionsRunInOrder: on one P, Gs submitted from outside
// while the M is busy run in submission order (they are requests: a batch
// taken from the global queue must not run newest first).
func TestOutsideSubmissionsRunInOrder(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 1, Preempt: usched.PreemptOff})
	var release atomic.Bool
	rt.Go(func(*usched.G) {
		for !release.Load() {
		}
	})
	const n = 1000
	var order []int
	for i := range n {
		rt.Go(func(*usched.G) { order = append(order, i) }) // one P: no race
	}
	release.Store(true)
	require.NoError(t, rt.Wait())
	require.Len(t, order, n)
	// Every fairnessTicks (61) rounds the M takes one G from the global
	// queue ahead of its local ones, as Go's scheduler does: each such pick
	// may overtake the rest of the current batch, once.
	descents := 0
	for i := 1; i < n; i++ {
		if order[i] < order[i-1] {
			descents++
		}
	}
	require.LessOrEqual(t, descents, n/61+1, "Gs submitted from outside must run (nearly) in order: %v", order[:100])
}
