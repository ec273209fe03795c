//go:build linux

package m

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Futex operations (linux/futex.h); x/sys/unix does not export them.
const (
	futexWaitPrivate = 0 | 128 // FUTEX_WAIT | FUTEX_PRIVATE_FLAG
	futexWakePrivate = 1 | 128 // FUTEX_WAKE | FUTEX_PRIVATE_FLAG
)

// futexWait sleeps while *addr == val. It goes through unix.Syscall, not
// RawSyscall, so that Go's scheduler sees the M blocked and can lend its P
// (and a stop-the-world does not wait for it).
func futexWait(addr *uint32, val uint32) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)),
		futexWaitPrivate, uintptr(val), 0, 0, 0)
}

// futexWake wakes up to n threads sleeping on addr.
func futexWake(addr *uint32, n int) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)),
		futexWakePrivate, uintptr(n), 0, 0, 0)
}

func gettid() int { return unix.Gettid() }

// isMainThread reports whether the calling thread is the process's first
// thread, which Go never lets exit.
func isMainThread() bool { return unix.Gettid() == unix.Getpid() }

// pin sets the calling thread's CPU affinity to cpu alone.
func pin(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	return unix.SchedSetaffinity(0, &set)
}

// waitThreadGone waits until thread tid of this process has exited, so
// that Close can promise no thread of the runtime outlives it: a locked
// goroutine's thread is torn down just after the goroutine returns. It
// gives up after a second (the kernel, not us, would then be at fault).
func waitThreadGone(tid int) {
	pid := unix.Getpid()
	deadline := time.Now().Add(time.Second)
	for unix.Tgkill(pid, tid, 0) != unix.ESRCH && time.Now().Before(deadline) {
		time.Sleep(50 * time.Microsecond)
	}
}

// futexWaitTimeout sleeps while *addr == val, for at most ns nanoseconds.
func futexWaitTimeout(addr *uint32, val uint32, ns int64) {
	ts := unix.NsecToTimespec(ns)
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)),
		futexWaitPrivate, uintptr(val), uintptr(unsafe.Pointer(&ts)), 0, 0)
}

// monotonicNS reads CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns.
func monotonicNS() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}
