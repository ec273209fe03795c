package usched_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usched/usched"
)

// TestSleepWakesInDeadlineOrder: Gs that sleep for different durations on
// one P wake in deadline order, not in the order they went to sleep, and
// the M runs other Gs meanwhile.
func TestSleepWakesInDeadlineOrder(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 1})
	var mu sync.Mutex
	var order []int
	durations := []int{9, 3, 7, 1, 5} // ms: deadlines far apart compared with scheduling
	var grp usched.Group
	var others atomic.Int32
	rt.Go(func(gp *usched.G) {
		for _, d := range durations {
			grp.Go(gp, func(gp *usched.G) {
				gp.Sleep(time.Duration(d) * time.Millisecond)
				mu.Lock()
				order = append(order, d)
				mu.Unlock()
			})
		}
		for range 100 {
			grp.Go(gp, func(*usched.G) { others.Add(1) })
		}
		require.NoError(t, grp.Wait(gp))
	})
	require.NoError(t, rt.Wait())
	assert.Equal(t, []int{1, 3, 5, 7, 9}, order)
	assert.Equal(t, int32(100), others.Load())
	assert.Equal(t, uint64(len(durations)), rt.Stats().Total().Sleeps)
}

// TestMutexExcludes: many Gs on several Ps increment a plain counter under
// a usched.Mutex, some of them suspending while they hold it; the count is
// exact and -race sees no race.
func TestMutexExcludes(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 2})
	var mu usched.Mutex
	var n int
	const gs, each = 200, 100
	for range gs {
		rt.Go(func(gp *usched.G) {
			for range each {
				mu.Lock(gp)
				n++
				if n%7 == 0 {
					gp.Yield() // hold the lock across a suspension
				}
				mu.Unlock()
			}
		})
	}
	require.NoError(t, rt.Wait())
	assert.Equal(t, gs*each, n)
	assert.True(t, mu.TryLock(), "unlocked at the end")
	mu.Unlock()
	assert.Panics(t, func() { mu.Unlock() })
}

// TestWaitGroupFromOutside: Gs wait on a usched.WaitGroup that plain
// goroutines outside the runtime count down; no wake-up is lost.
func TestWaitGroupFromOutside(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 2})
	const rounds = 200
	var woke atomic.Int32
	for range rounds {
		var wg usched.WaitGroup
		wg.Add(3)
		for range 2 {
			rt.Go(func(gp *usched.G) {
				wg.Wait(gp)
				woke.Add(1)
			})
		}
		for range 3 {
			go wg.Done()
		}
	}
	require.NoError(t, rt.Wait())
	assert.Equal(t, int32(2*rounds), woke.Load())
}

// TestAwaitGoChannel: a G waits on a Go channel through Await without
// blocking its M: with one P, another G queued behind it runs while it
// waits (it is the one that feeds the channel).
func TestAwaitGoChannel(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 1})
	ch := make(chan int)
	var got int
	rt.Go(func(gp *usched.G) {
		gp.Go(func(*usched.G) { go func() { ch <- 42 }() })
		gp.Await(func() { got = <-ch })
	})
	require.NoError(t, rt.Wait())
	assert.Equal(t, 42, got)
}

// TestAwaitPanicReported: a panic in the awaited function comes back as
// the G's own panic.
func TestAwaitPanicReported(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 1})
	rt.Go(func(gp *usched.G) {
		gp.Await(func() { panic("in await") })
	})
	err := rt.Wait()
	var pe *usched.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "in await", pe.Value)
}
