//go:build linux

package usched_test

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/usched/usched"
)

// cpusAllowed reads Cpus_allowed_list of thread tid.
func cpusAllowed(t *testing.T, tid int) string {
	f, err := os.Open("/proc/self/task/" + strconv.Itoa(tid) + "/status")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no Cpus_allowed_list for thread %d", tid)
	return ""
}

// TestPinning: each M's thread is pinned to exactly its CPU, as the kernel
// reports it, and Gs run on those threads only.
func TestPinning(t *testing.T) {
	requireLinux(t)
	pid := os.Getpid()
	mainCPUs := cpusAllowed(t, pid)
	rt := newRuntime(t, usched.Config{})
	st := rt.Stats()
	mTIDs := map[int]bool{}
	for _, ps := range st.Ps {
		require.Equal(t, strconv.Itoa(ps.CPU), cpusAllowed(t, ps.TID), "P %d", ps.P)
		mTIDs[ps.TID] = true
	}
	require.Len(t, mTIDs, st.Procs, "one thread per M")
	for _, ps := range st.SparePs {
		mTIDs[ps.TID] = true // a blocked M's Gs may run on a spare M
	}

	var mu sync.Mutex
	seen := map[int]bool{}
	for range 1000 {
		rt.Go(func(gp *usched.G) {
			tid := unix.Gettid()
			mu.Lock()
			seen[tid] = true
			mu.Unlock()
			gp.Yield() // a resumed G is on the same thread
			if unix.Gettid() != tid {
				panic("G resumed on another thread")
			}
		})
	}
	require.NoError(t, rt.Wait())
	for tid := range seen {
		require.True(t, mTIDs[tid], "a G ran on thread %d, which is no M", tid)
	}
	require.False(t, mTIDs[pid], "an M must not run on the main thread: Go never ends it")
	require.NoError(t, rt.Close())
	require.Equal(t, mainCPUs, cpusAllowed(t, pid), "the main thread's affinity is untouched")
}

func TestPinningChosenCPUs(t *testing.T) {
	requireLinux(t)
	last := runtime.NumCPU() - 1
	rt := newRuntime(t, usched.Config{CPUs: []int{last}, Procs: 2})
	for _, ps := range rt.Stats().Ps {
		require.Equal(t, last, ps.CPU)
		require.Equal(t, strconv.Itoa(last), cpusAllowed(t, ps.TID))
	}
}
