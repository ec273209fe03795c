package usched_test

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usched/usched"
)

// eventually polls cond until it holds or a generous deadline passes. It
// is not a timing assertion: the deadline only turns a hang into a failure.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(time.Millisecond)
	}
}

// requireLinux skips tests that read /proc: the rest of the package's
// tests build and run on any OS the library supports.
func requireLinux(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux /proc")
	}
}

func threadExists(tid int) bool {
	_, err := os.Stat("/proc/self/task/" + strconv.Itoa(tid))
	return err == nil
}

// TestCloseLeavesNothing: after Close, the runtime's goroutines are gone
// and so are its threads (the Ms exit locked, so Go ends their threads).
func TestCloseLeavesNothing(t *testing.T) {
	requireLinux(t)
	goroutines := runtime.NumGoroutine()
	rt, err := usched.New(usched.Config{Procs: 2})
	require.NoError(t, err)
	// Suspend some Gs on the way so that coroutines exist.
	var grpDone atomic.Int64
	rt.Go(func(gp *usched.G) {
		var grp usched.Group
		for range 100 {
			grp.Go(gp, func(c *usched.G) { c.Yield(); grpDone.Add(1) })
		}
		_ = grp.Wait(gp)
	})
	require.NoError(t, rt.Wait())
	require.EqualValues(t, 100, grpDone.Load())
	var tids []int
	for _, ps := range rt.Stats().Ps {
		require.NotZero(t, ps.TID)
		require.True(t, threadExists(ps.TID))
		tids = append(tids, ps.TID)
	}
	require.NoError(t, rt.Close())
	for _, tid := range tids {
		require.False(t, threadExists(tid), "thread %d of an M outlived Close", tid)
	}
	eventually(t, func() bool { return runtime.NumGoroutine() <= goroutines },
		"goroutines of the runtime outlived Close")
}

func TestCloseTwice(t *testing.T) {
	rt, err := usched.New(usched.Config{Procs: 1})
	require.NoError(t, err)
	require.NoError(t, rt.Close())
	require.ErrorIs(t, rt.Close(), usched.ErrClosed)
}

func TestGoAfterClose(t *testing.T) {
	rt, err := usched.New(usched.Config{Procs: 1})
	require.NoError(t, err)
	require.NoError(t, rt.Close())
	ran := false
	require.ErrorIs(t, rt.TryGo(func(*usched.G) { ran = true }), usched.ErrClosed)
	rt.Go(func(*usched.G) { ran = true })
	err = rt.Wait()
	var nr *usched.NotRunError
	require.ErrorAs(t, err, &nr, "Go after Close is reported as not run by Wait")
	require.EqualValues(t, 1, nr.Count)
	require.False(t, ran)
	require.EqualValues(t, 2, rt.Stats().RejectedGs)
}

// TestCloseUnderLoad closes a runtime while a spawn storm and fork-join
// trees (Group and G.Join levels alternating) are running, from several
// submitting goroutines. Every G must either run exactly once or be
// reported as not run, nothing may hang, and the counts must balance.
func TestCloseUnderLoad(t *testing.T) {
	for _, procs := range procsList {
		t.Run(strconv.Itoa(procs), func(t *testing.T) {
			rt, err := usched.New(usched.Config{Procs: procs})
			require.NoError(t, err)
			// created and ran count tree nodes; inline counts the nodes
			// that Join ran on its caller's stack, which are not Gs.
			var created, ran, inline, notRunInGroups atomic.Int64
			countNotRun := func(err error) {
				if err != nil {
					var nr *usched.NotRunError
					if !errors.As(err, &nr) {
						panic(err)
					}
					notRunInGroups.Add(nr.Count)
				}
			}
			var tree func(gp *usched.G, depth int)
			tree = func(gp *usched.G, depth int) {
				ran.Add(1)
				if depth == 0 {
					return
				}
				if depth%2 == 1 {
					created.Add(2)
					countNotRun(gp.Join(func(c *usched.G) {
						inline.Add(1)
						tree(c, depth-1)
					}, func(c *usched.G) { tree(c, depth-1) }))
					return
				}
				var grp usched.Group
				for range 4 {
					created.Add(1)
					grp.Go(gp, func(c *usched.G) { tree(c, depth-1) })
				}
				countNotRun(grp.Wait(gp))
			}
			var wg sync.WaitGroup
			stop := make(chan struct{})
			var rejected atomic.Int64
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						created.Add(1)
						if err := rt.TryGo(func(gp *usched.G) { tree(gp, 5) }); err != nil {
							rejected.Add(1)
							return
						}
					}
				}()
			}
			for ran.Load() < 20_000 {
				runtime.Gosched()
			}
			err = rt.Close()
			close(stop)
			wg.Wait()
			var rootNotRun int64
			if err != nil {
				var nr *usched.NotRunError
				require.ErrorAs(t, err, &nr)
				rootNotRun = nr.Count
			}
			require.Equal(t, created.Load(), ran.Load()+notRunInGroups.Load()+rootNotRun+rejected.Load(),
				"every G created ran or was reported not run")
			st := rt.Stats()
			tot := st.Total()
			require.Equal(t, st.SubmittedGs+tot.SpawnedGs, tot.FinishedGs+tot.NotRunGs)
			require.EqualValues(t, ran.Load()-inline.Load(), tot.FinishedGs)
		})
	}
}

// TestCloseDropsOverflowedGs closes a runtime while two spawning loops
// (one with G.Go, one in a Group) overflow their Ps' deques into the
// global queue, where Gs wait by value in Batches. Every G spawned ran
// exactly once or was reported as not run: to Close for the G.Go
// children, to Group.Wait for the Group's.
func TestCloseDropsOverflowedGs(t *testing.T) {
	const each = 200_000
	rt, err := usched.New(usched.Config{Procs: 2})
	require.NoError(t, err)
	var ran [2][each]atomic.Uint32
	var groupNotRun atomic.Int64
	var waitErr error
	started := make(chan struct{}, 2)
	var loopsDone atomic.Int32 // spawning loops that got to their end
	rt.Go(func(gp *usched.G) {
		started <- struct{}{}
		for i := range each {
			gp.Go(func(*usched.G) { ran[0][i].Add(1) })
		}
		loopsDone.Add(1)
	})
	rt.Go(func(gp *usched.G) {
		started <- struct{}{}
		var grp usched.Group
		for i := range each {
			grp.Go(gp, func(*usched.G) { ran[1][i].Add(1) })
		}
		loopsDone.Add(1)
		waitErr = grp.Wait(gp)
		var nr *usched.NotRunError
		if errors.As(waitErr, &nr) {
			groupNotRun.Store(nr.Count)
		}
	})
	<-started
	<-started
	// Close once Gs have overflowed; should the loops end without any
	// (the assertion on OverflowGs below then fails), close anyway.
	for rt.Stats().Total().OverflowGs == 0 && loopsDone.Load() < 2 {
		runtime.Gosched()
	}
	err = rt.Close()
	var rootNotRun int64
	if err != nil {
		var nr *usched.NotRunError
		require.ErrorAs(t, err, &nr)
		rootNotRun = nr.Count
	}
	var didRun [2]int64
	for k := range ran {
		for i := range ran[k] {
			n := ran[k][i].Load()
			require.LessOrEqual(t, n, uint32(1), "G %d/%d ran %d times", k, i, n)
			didRun[k] += int64(n)
		}
	}
	require.Equal(t, int64(each), didRun[0]+rootNotRun, "G.Go children: ran + reported not run")
	require.Equal(t, int64(each), didRun[1]+groupNotRun.Load(), "Group children: ran + reported not run (%v)", waitErr)
	st := rt.Stats().Total()
	t.Logf("ran %d and %d, not run %d and %d; %d overflowed", didRun[0], didRun[1], rootNotRun, groupNotRun.Load(), st.OverflowGs)
	require.Positive(t, st.OverflowGs, "the test must overflow into the global queue")
	require.EqualValues(t, rootNotRun+groupNotRun.Load(), st.NotRunGs)
}

// TestWaitFromG: Wait and Close called from inside a G return ErrInG
// instead of blocking the M that must run the Gs they wait for.
func TestWaitFromG(t *testing.T) {
	requireLinux(t)
	rt := newRuntime(t, usched.Config{Procs: 1})
	var waitErr, closeErr error
	rt.Go(func(*usched.G) {
		waitErr = rt.Wait()
		closeErr = rt.Close()
	})
	require.NoError(t, rt.Wait())
	require.ErrorIs(t, waitErr, usched.ErrInG)
	require.ErrorIs(t, closeErr, usched.ErrInG)
	require.NoError(t, rt.Close(), "the Close from the G did not count")
}
