package preempt

import (
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// setAction installs act for sig with rt_sigaction(2) and returns the
// action it replaced, as C code in the process would.
func setAction(t *testing.T, sig syscall.Signal, act *kernelSigaction) kernelSigaction {
	t.Helper()
	var old kernelSigaction
	_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(&old)), 8, 0, 0)
	require.Zero(t, errno, "rt_sigaction(%d)", int(sig))
	return old
}

// TestCheckSignalFreeForeignHandler: a signal whose handler is not Go's
// (as C code would install) is refused with a message that says so; the
// same signal with Go's handler back is accepted. Signal 44, a real-time
// signal, is one nothing in this test binary sends, so the moment it
// spends at SIG_DFL cannot kill the process.
func TestCheckSignalFreeForeignHandler(t *testing.T) {
	const sig = syscall.Signal(44)
	require.NoError(t, checkSignalFree(sig), "Go installs its handler on every real-time signal")

	goHandler := setAction(t, sig, &kernelSigaction{}) // SIG_DFL: not Go's
	restored := false
	defer func() {
		if !restored {
			setAction(t, sig, &goHandler)
		}
	}()
	err := checkSignalFree(sig)
	require.ErrorContains(t, err, "already has a handler that is not Go's")
	require.ErrorContains(t, err, "Config.Signal")

	setAction(t, sig, &goHandler)
	restored = true
	require.NoError(t, checkSignalFree(sig), "Go's handler restored")
}
