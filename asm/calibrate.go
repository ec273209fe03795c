package asm

import (
	"sync"
	"time"
)

// calibrationPeriod is how long CyclesPerNanosecond measures. 2 ms keeps a
// preemption or a page fault in the middle of the measurement (a few µs)
// under about 0.5% of the result.
const calibrationPeriod = 2 * time.Millisecond

var (
	calibrateOnce sync.Once
	cyclesPerNS   float64 // written once under calibrateOnce
)

// CyclesPerNanosecond returns how many [Cycles] ticks pass per nanosecond
// of wall-clock time, for converting differences of Cycles to durations.
//
// The value is approximate: it is measured once, on the first call, by
// spinning for about 2 ms and comparing Cycles with the monotonic clock, and
// it is typically within 1% of the true rate. It assumes the counter ticks
// at a constant rate (an invariant TSC on amd64; always true on arm64).
//
// The first call takes about 2 ms and other callers wait for it; later
// calls cost a load. Call it once at start-up from code that must never
// wait.
func CyclesPerNanosecond() float64 {
	calibrateOnce.Do(func() { cyclesPerNS = calibrate(calibrationPeriod) })
	return cyclesPerNS
}

// calibrate measures Cycles against time.Now for at least d by spinning, so
// that the result does not depend on how quickly a sleeping thread is
// woken. Each end takes Cycles right after the clock read, so both pairs
// are skewed alike.
func calibrate(d time.Duration) float64 {
	t0 := time.Now()
	c0 := Cycles()
	var (
		elapsed time.Duration
		c1      uint64
	)
	for elapsed < d {
		Pause()
		elapsed = time.Since(t0)
		c1 = Cycles()
	}
	return float64(c1-c0) / float64(elapsed.Nanoseconds())
}
