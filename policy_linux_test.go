package usched_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/usched/usched"
)

// TestPriorityStealsWithinClass: the children of one G of each class,
// queued on its P, are stolen by the other P (the stolen counters move
// while that class runs). Each child spins until children have run on two
// threads, so the class's work cannot finish unless the other M steals
// some of it: a loaded machine may wake that M late, never make the test
// pass without a steal.
func TestPriorityStealsWithinClass(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 2, Policy: usched.Priority})
	for _, c := range []usched.Class{usched.Critical, usched.Normal, usched.Batch} {
		before := rt.Stats().Total().StolenGs
		var ran, release atomic.Bool
		var mu sync.Mutex
		tids := map[int]bool{}
		twoThreads := func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(tids) >= 2
		}
		rt.GoClass(c, func(gp *usched.G) {
			var grp usched.Group
			for range 200 {
				grp.Go(gp, func(gp *usched.G) {
					require.Equal(t, c, gp.Class())
					mu.Lock()
					tids[unix.Gettid()] = true
					mu.Unlock()
					for !twoThreads() && !release.Load() {
						spin(gp, 20*time.Microsecond)
					}
				})
			}
			require.NoError(t, grp.Wait(gp))
			ran.Store(true)
		})
		waitOrHang(t, rt, &release)
		require.True(t, ran.Load())
		require.Greater(t, rt.Stats().Total().StolenGs, before, "no %v G was stolen", c)
	}
}
