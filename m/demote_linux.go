package m

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// demote lowers thread tid to nice 19 while a spare M serves its CPU.
// Any thread may demote another of the process. Nice 19 rather than
// SCHED_IDLE: an idle-class thread gets no CPU at all while anything else
// runs there, and a 75 s stall of a demoted G was measured when a foreign
// process kept its CPU busy; at nice 19 it still gets about 1.5% of it.
func demote(tid int) error {
	return unix.Setpriority(unix.PRIO_PROCESS, tid, 19)
}

// promote gives thread tid (0: the caller) nice 0 back. Lowering a nice
// value needs CAP_SYS_NICE or an RLIMIT_NICE of at least 20.
func promote(tid int) error {
	if tid == 0 {
		tid = unix.Gettid()
	}
	return unix.Setpriority(unix.PRIO_PROCESS, tid, 0)
}

// probeDemotion reports whether a thread can be demoted and restored, by
// trying on a throw-away thread: its goroutine stays locked, so that the
// thread, whatever its policy is left at, exits with it.
func probeDemotion() error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := demote(0); err != nil {
			errc <- err
			return
		}
		errc <- promote(0)
	}()
	return <-errc
}
