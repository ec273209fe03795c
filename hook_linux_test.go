package usched_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/usched/usched"
	"github.com/usched/usched/internal/testutil"
)

// checkBlockedReadsDoNotStall: with two Ps, 100 Gs block in hooked reads
// of pipes nobody writes to yet, and 1000 other Gs must still all run:
// each blocked M's queued work moves to a spare M. Only when they have all
// run are the pipes written, releasing the readers.
func checkBlockedReadsDoNotStall(t *testing.T, mode usched.PreemptMode) *usched.Runtime {
	const readers, others = 100, 1000
	rt := newPreempting2(t, mode, readers+8)
	pipes := make([][2]int, readers)
	for i := range pipes {
		require.NoError(t, unix.Pipe2(pipes[i][:], unix.O_CLOEXEC))
	}
	defer func() {
		for _, p := range pipes {
			unix.Close(p[0])
			unix.Close(p[1])
		}
	}()
	var ran, read atomic.Int32
	allRan := make(chan struct{})
	for i := range readers {
		rt.Go(func(gp *usched.G) {
			var b [1]byte
			n, err := usched.Read(gp, pipes[i][0], b[:])
			if err == nil && n == 1 {
				read.Add(1)
			}
		})
	}
	for range others {
		rt.Go(func(*usched.G) {
			if ran.Add(1) == others {
				close(allRan)
			}
		})
	}
	<-allRan // hangs (test timeout) if blocked readers stall the other Gs
	for _, p := range pipes {
		_, err := unix.Write(p[1], []byte{1})
		require.NoError(t, err)
	}
	require.NoError(t, rt.Wait())
	assert.Equal(t, int32(readers), read.Load())
	tot := rt.Stats().Total()
	assert.GreaterOrEqual(t, tot.Syscalls, uint64(readers))
	assert.NotZero(t, tot.SyscallHandoffs, "blocked calls must have been handed off")
	return rt
}

// newPreempting2 is newPreempting with two Ps and a spare bound.
func newPreempting2(t *testing.T, mode usched.PreemptMode, spares int) *usched.Runtime {
	t.Helper()
	cfg := usched.Config{Procs: 2, Preempt: mode, MaxSpareMs: spares}
	rt, err := usched.New(cfg)
	if mode == usched.PreemptEBPF {
		testutil.SkipIfNotSupported(t, err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { rt.Close() })
	return rt
}

func TestBlockedReadsDoNotStallSysmon(t *testing.T) {
	checkBlockedReadsDoNotStall(t, usched.PreemptSysmon)
}

// TestPrivilegedBlockedReadsDoNotStallEBPF: the same with the eBPF
// watcher, which sees each reader's thread block through sched_switch
// (its task-clock tick never fires on a blocked thread).
func TestPrivilegedBlockedReadsDoNotStallEBPF(t *testing.T) {
	rt := checkBlockedReadsDoNotStall(t, usched.PreemptEBPF)
	pr := rt.Stats().Preemption
	assert.Equal(t, "ebpf", pr.BlockDetection)
	assert.NotZero(t, pr.BlockHandoffs, "the reporter must have seen the readers block")
}

// TestPrivilegedUnhookedBlockHandedOff: a G that blocks in a read nobody
// hooked (unix.Read directly) still does not stall its P's other Gs with
// eBPF: the sched_switch reporter sees the thread block.
func TestPrivilegedUnhookedBlockHandedOff(t *testing.T) {
	// A long quantum: the root must not be preempted while it spawns, so
	// that its children are still queued on its P when it blocks.
	rt, err := usched.New(usched.Config{Procs: 1, Preempt: usched.PreemptEBPF, Quantum: time.Second})
	testutil.SkipIfNotSupported(t, err)
	require.NoError(t, err)
	defer rt.Close()
	var fds [2]int
	require.NoError(t, unix.Pipe2(fds[:], unix.O_CLOEXEC))
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	const others = 100
	var ran atomic.Int32
	allRan := make(chan struct{})
	rt.Go(func(gp *usched.G) {
		for range others {
			gp.Go(func(*usched.G) {
				if ran.Add(1) == others {
					close(allRan)
				}
			})
		}
		var b [1]byte
		unix.Read(fds[0], b[:]) // unhooked: blocks the M's thread
	})
	<-allRan // hangs if the blocked M's queued children stall
	_, err = unix.Write(fds[1], []byte{1})
	require.NoError(t, err)
	require.NoError(t, rt.Wait())
	assert.NotZero(t, rt.Stats().Preemption.BlockHandoffs)
}
