//go:build !amd64 && !arm64

package asm

import "time"

// start is the zero of Cycles on architectures without a cycle counter.
var start = time.Now()

// Pause does nothing: this architecture has no spin-wait hint that usched
// knows how to issue. A spin loop that calls Pause must bound its
// iterations anyway.
func Pause() {}

// Cycles returns the nanoseconds since the package was initialised, from
// the monotonic clock: this architecture has no cycle counter usched knows
// how to read. It costs a clock read (tens of ns through the vDSO).
// [CyclesPerNanosecond] is then about 1.
func Cycles() uint64 { return uint64(time.Since(start)) }

// CPU returns the number of the CPU the calling thread is running on, or -1
// where the operating system offers no way to ask (every OS but Linux).
// The answer may be stale by the time the caller uses it: unless the thread
// is pinned to one CPU, it may migrate at any moment.
//
// On Linux it is the getcpu(2) system call: around 100 ns or more.
func CPU() int { return getcpu() }
