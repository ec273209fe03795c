package m

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// demote makes thread tid run only when its CPU has nothing else to run
// (SCHED_IDLE). Any thread may demote another of the process.
func demote(tid int) error {
	return unix.SchedSetAttr(tid, &unix.SchedAttr{Policy: unix.SCHED_IDLE}, 0)
}

// promote gives thread tid (0: the caller) the normal policy back. Leaving
// SCHED_IDLE needs CAP_SYS_NICE or an RLIMIT_NICE of at least 20.
func promote(tid int) error {
	return unix.SchedSetAttr(tid, &unix.SchedAttr{Policy: unix.SCHED_NORMAL}, 0)
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
