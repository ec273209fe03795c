package usched_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/usched/usched"
)

// The hooked calls other than Read, each in a setting where the call can
// only return if its P was handed to a spare M while it blocked: one P,
// and the G that unblocks it queued on that P behind the blocked one.

// checkAcceptConnect: G a accepts on a listening Unix socket while its
// child b, queued on the same single P, is the one that connects and
// writes. a's Accept blocks its thread, so b runs only if the P moved to a
// spare M; the message must then arrive through Accept and Read.
func checkAcceptConnect(t *testing.T, mode usched.PreemptMode) {
	rt := newPreempting(t, mode)
	ln, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(ln)
	addr := &unix.SockaddrUnix{Name: filepath.Join(t.TempDir(), "sock")}
	require.NoError(t, unix.Bind(ln, addr))
	require.NoError(t, unix.Listen(ln, 1))

	type result struct {
		msg string
		err error
	}
	accepted := make(chan result, 1)
	connected := make(chan error, 1)
	rt.Go(func(gp *usched.G) {
		gp.Go(func(gp *usched.G) {
			c, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err == nil {
				defer unix.Close(c)
				if err = usched.Connect(gp, c, addr); err == nil {
					_, err = usched.Write(gp, c, []byte("hello"))
				}
			}
			connected <- err
		})
		fd, _, err := usched.Accept(gp, ln) // blocks until b has connected
		if err != nil {
			accepted <- result{err: err}
			return
		}
		defer unix.Close(fd)
		buf := make([]byte, 16)
		n, err := usched.Read(gp, fd, buf)
		accepted <- result{msg: string(buf[:max(n, 0)]), err: err}
	})
	r := <-accepted // hangs (test timeout) if the blocked Accept stalls b
	require.NoError(t, <-connected)
	require.NoError(t, rt.Wait())
	require.NoError(t, r.err)
	assert.Equal(t, "hello", r.msg)
	tot := rt.Stats().Total()
	assert.GreaterOrEqual(t, tot.Syscalls, uint64(4), "Accept, Read, Connect and Write are hooked calls")
}

func TestHookedAcceptConnectSysmon(t *testing.T) { checkAcceptConnect(t, usched.PreemptSysmon) }

func TestPrivilegedHookedAcceptConnectEBPF(t *testing.T) {
	checkAcceptConnect(t, usched.PreemptEBPF)
}

// checkSyscall: Syscall runs any blocking call as a hooked one and returns
// its error. Here the call waits for a Go channel that only a child queued
// on the same single P closes, so it returns only if the P was handed off
// while it blocked. The quantum is long so that the root is not preempted
// at gp.Go, which would let the child run first; if the loaded machine
// preempts it anyway, the call finds the channel closed and does not
// block, and only the hand-off check is skipped.
func checkSyscall(t *testing.T, mode usched.PreemptMode) {
	rt := newPreemptingQuantum(t, mode, 10*time.Millisecond)
	errSentinel := errors.New("the call's own error")
	done := make(chan error, 1)
	var childFirst bool
	rt.Go(func(gp *usched.G) {
		release := make(chan struct{})
		gp.Go(func(*usched.G) { close(release) })
		done <- usched.Syscall(gp, func() error {
			select {
			case <-release:
				childFirst = true
			default:
				<-release
			}
			return errSentinel
		})
	})
	err := <-done // hangs (test timeout) if the blocked call stalls its P
	require.NoError(t, rt.Wait())
	require.ErrorIs(t, err, errSentinel, "Syscall returns fn's error")
	tot := rt.Stats().Total()
	assert.Equal(t, uint64(1), tot.Syscalls)
	if childFirst {
		t.Log("the root was preempted before its call and the child ran first: the call did not block, no hand-off to check")
		return
	}
	assert.NotZero(t, tot.SyscallHandoffs, "the blocked call's P must have been handed off")
}

func TestHookedSyscallSysmon(t *testing.T) { checkSyscall(t, usched.PreemptSysmon) }

func TestPrivilegedHookedSyscallEBPF(t *testing.T) { checkSyscall(t, usched.PreemptEBPF) }

// TestHookedNanosleep: Nanosleep returns nil after sleeping in the kernel
// and counts as a hooked call; a child queued on the same P runs, by the
// end, on whichever M holds the P.
func TestHookedNanosleep(t *testing.T) {
	rt := newPreempting(t, usched.PreemptSysmon)
	done := make(chan error, 1)
	childRan := make(chan struct{})
	rt.Go(func(gp *usched.G) {
		gp.Go(func(*usched.G) { close(childRan) })
		done <- usched.Nanosleep(gp, time.Millisecond)
	})
	require.NoError(t, <-done)
	<-childRan
	require.NoError(t, rt.Wait())
	assert.Equal(t, uint64(1), rt.Stats().Total().Syscalls)
}
