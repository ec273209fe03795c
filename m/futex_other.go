//go:build !linux

package m

import (
	"errors"
	"sync/atomic"
	"time"
	"unsafe"
)

// Outside Linux there is no futex: a parked M polls its word with short
// sleeps. usched supports other systems for building and testing only.
func futexWait(addr *uint32, val uint32) {
	w := (*atomic.Uint32)(unsafe.Pointer(addr))
	for w.Load() == val {
		time.Sleep(50 * time.Microsecond)
	}
}

func futexWake(addr *uint32, n int) {}

func gettid() int { return 0 }

func isMainThread() bool { return false }

func waitThreadGone(tid int) {}

func pin(cpu int) error { return errors.New("CPU pinning needs Linux") }

func futexWaitTimeout(addr *uint32, val uint32, ns int64) {
	w := (*atomic.Uint32)(unsafe.Pointer(addr))
	for end := time.Now().Add(time.Duration(ns)); w.Load() == val && time.Now().Before(end); {
		time.Sleep(50 * time.Microsecond)
	}
}

func monotonicNS() int64 { return time.Now().UnixNano() }
