package preempt

import (
	"fmt"
	"os/signal"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// kernelSigaction is the head of the kernel's struct sigaction: the handler
// comes first on every architecture; the rest is room for the kernel to
// write into.
type kernelSigaction struct {
	handler uintptr
	rest    [3]uintptr
}

// sigaction is rt_sigaction(2): it installs act for sig unless act is
// nil, and stores the action it found in old unless old is nil.
func sigaction(sig syscall.Signal, act, old *kernelSigaction) error {
	_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), 8, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

func handlerOf(sig syscall.Signal) (uintptr, error) {
	var act kernelSigaction
	if err := sigaction(sig, nil, &act); err != nil {
		return 0, err
	}
	return act.handler, nil
}

// checkSignalFree returns an error if the program ignores sig or a handler
// other than Go's is installed for it (C code through cgo, for instance):
// BPF's signal would then be lost or do something else. Go installs one
// handler for every signal it manages; SIGURG (Go's own preemption signal)
// always has it, so sig must have the same. A signal.Notify by other Go
// code cannot be seen from here; the documentation of Config.Signal says
// so.
func checkSignalFree(sig syscall.Signal) error {
	if signal.Ignored(sig) {
		return fmt.Errorf("usched: signal %d (%v) is ignored by this program; set Config.Signal to a free signal (for example SIGUSR1 or a real-time signal such as 40)", int(sig), sig)
	}
	mine, err := handlerOf(sig)
	if err != nil {
		return fmt.Errorf("usched: reading the handler of signal %d: %w", int(sig), err)
	}
	gos, err := handlerOf(unix.SIGURG)
	if err != nil {
		return fmt.Errorf("usched: reading the handler of SIGURG: %w", err)
	}
	if mine != gos {
		return fmt.Errorf("usched: signal %d (%v) already has a handler that is not Go's (installed by C code?); set Config.Signal to a free signal (for example SIGUSR1 or a real-time signal such as 40)", int(sig), sig)
	}
	return nil
}
