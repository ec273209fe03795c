package preempt

import (
	"time"

	"golang.org/x/sys/unix"
)

// prepareSysmonThread sets timer slack to 1 ns (the default 50 µs slack
// stretches a 50 µs sleep to about 90 µs) and pins the thread when cpu >= 0.
// Failures only make the sysmon less precise, so they are ignored.
func prepareSysmonThread(cpu int) {
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
	if cpu >= 0 {
		var set unix.CPUSet
		set.Set(cpu)
		_ = unix.SchedSetaffinity(0, &set)
	}
}

// nanosleep sleeps d with the raw system call: time.Sleep goes through Go's
// timers and cannot wake sooner than about 1 ms here.
func nanosleep(d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	for unix.Nanosleep(&ts, &ts) == unix.EINTR {
	}
}

// anonTable maps a zeroed table of n slots outside Go's heap.
func anonTable(n int) (*Table, error) {
	mem, err := unix.Mmap(-1, 0, n*SlotSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return nil, err
	}
	return newTable(mem, n, unix.Munmap)
}
