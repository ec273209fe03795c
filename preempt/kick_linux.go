package preempt

import (
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// futexWaitPrivate and futexWakePrivate are FUTEX_WAIT and FUTEX_WAKE with
// FUTEX_PRIVATE_FLAG (linux/futex.h); x/sys/unix does not export them.
const (
	futexWaitPrivate = 0 | 128
	futexWakePrivate = 1 | 128
)

// sleepKickable sleeps d unless *word is set (or gets set: kick wakes the
// futex), then clears it. Used by the sysmon only for its long idle
// sleeps; its per-quantum sleeps stay raw nanosleeps.
func sleepKickable(word *atomic.Uint32, d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(word)), futexWaitPrivate, 0, uintptr(unsafe.Pointer(&ts)), 0, 0)
	word.Store(0)
}

// kick sets *word and wakes a sleepKickable on it.
func kick(word *atomic.Uint32) {
	if word.CompareAndSwap(0, 1) {
		unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(word)), futexWakePrivate, 1, 0, 0, 0)
	}
}
