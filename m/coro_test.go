package m

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usched/usched/g"
	"github.com/usched/usched/preempt"
)

// TestCoroutinePoolBounded: after a burst of Gs that all suspend at once,
// each M keeps at most poolMax idle scheduler coroutines (the others
// return and their goroutines end), and every G still ran to the end.
func TestCoroutinePoolBounded(t *testing.T) {
	s, err := New(Config{Procs: 2, Preempt: preempt.Off})
	require.NoError(t, err)
	defer s.Close()
	const gs = 2000
	var done atomic.Int64
	require.NoError(t, s.Submit(func(gp *g.G) {
		var grp g.Group
		for range gs {
			grp.Go(gp, func(c *g.G) {
				c.Yield() // all of them suspended at once: one coroutine each
				c.Yield()
				done.Add(1)
			})
		}
		if err := grp.Wait(gp); err != nil {
			panic(err)
		}
	}, g.Normal))
	require.NoError(t, s.Wait())
	require.EqualValues(t, gs, done.Load())
	suspends := uint64(0)
	for _, ps := range s.Snapshot().Ps {
		suspends += ps.C[pSuspends]
	}
	require.GreaterOrEqual(t, suspends, uint64(2*gs), "the Gs must really have suspended")
	for _, mp := range s.ms {
		// Read after Wait: the M published and parked, which orders its
		// writes before Wait's return.
		require.LessOrEqual(t, len(mp.pool), poolMax, "M %d", mp.id)
	}
}
