package usched_test

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usched/usched"
)

// TestGOMAXPROCSSpareShare: the spares' Go Ps are in GOMAXPROCS only while
// a spare serves (and for a while after), not from New on: idle Go Ps are
// where the collector runs idle mark workers, which preempt the Ms. A hog
// G that never polls makes the watcher hand its CPU to the spare, which
// runs the hog's queued child; GOMAXPROCS must then count the spare, and
// must come back down once the hog has ended and the spare retired.
func TestGOMAXPROCSSpareShare(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	base := max(before, 2) // Procs + 1, never below the value found
	rt, err := usched.New(usched.Config{Procs: 1, CPUs: []int{0}, Preempt: usched.PreemptSysmon, Quantum: time.Millisecond, MaxSpareMs: 1})
	require.NoError(t, err)
	defer rt.Close()
	require.Equal(t, base, runtime.GOMAXPROCS(0), "no spare serves yet: Procs + 1")

	var stop atomic.Bool
	ran := make(chan struct{})
	rt.Go(func(gp *usched.G) {
		// Queued on the hog's own P: only the spare can run it.
		gp.Go(func(*usched.G) { close(ran) })
		for !stop.Load() {
			// No poll: an atomic load is not a runtime call.
		}
	})
	select {
	case <-ran:
	case <-time.After(30 * time.Second):
		stop.Store(true)
		t.Fatal("the hog's child did not run: no spare took its CPU")
	}
	// Both read while the hog still runs: the spare serves, so the share
	// cannot be taken out between them.
	serving := runtime.GOMAXPROCS(0)
	reported := rt.Stats().GOMAXPROCS
	stop.Store(true)
	require.NoError(t, rt.Wait())
	require.GreaterOrEqual(t, serving, 3, "a spare serves: Procs + 1 spare + 1")
	require.Equal(t, serving, reported, "Stats reports the value in force")

	// The spare retires once its partner is back and it finds no work;
	// the share goes 100 ms later. Wait for it, not for a duration.
	deadline := time.Now().Add(30 * time.Second)
	for runtime.GOMAXPROCS(0) != base && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	require.Equal(t, base, runtime.GOMAXPROCS(0), "the spares' share must be taken out once none serves; preemption stats %+v", rt.Stats().Preemption)
	require.NoError(t, rt.Close())
	require.Equal(t, before, runtime.GOMAXPROCS(0), "Close restores GOMAXPROCS")
}
