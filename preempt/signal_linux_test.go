package preempt

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// setAction installs act for sig, as C code in the process would, and
// returns the action it replaced.
func setAction(t *testing.T, sig syscall.Signal, act *kernelSigaction) kernelSigaction {
	t.Helper()
	var old kernelSigaction
	require.NoError(t, sigaction(sig, act, &old), "rt_sigaction(%d)", int(sig))
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
