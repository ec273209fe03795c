package latency

import (
	"fmt"
	"math"
	"sync/atomic"
)

// spinSink receives every spin loop's result so that the compiler cannot
// drop the loop. Written once per request: no contention to speak of.
var spinSink atomic.Uint64

// spin runs n rounds of xorshift64 on x: a serial dependency chain of
// shifts and xors, so its speed does not depend on memory or on the branch
// predictor, and no call inside, so it has no poll and no Go safe point
// other than the asynchronous ones.
//
//go:noinline
func spin(x uint64, n int) uint64 {
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

// SpinCalibration is workload A's start-up measurement on the executor CPU.
type SpinCalibration struct {
	ItersPerUs float64 `json:"iters_per_us"`
	ShortIters int     `json:"short_iters"`
	LongIters  int     `json:"long_iters"`
	CheckEvery int     `json:"check_every_iters"` // iterations between polls in a cooperative long request
	// The median measured cost of one short and one long request with
	// these iteration counts (the long one cooperative, with its polls).
	ShortNs float64 `json:"short_ns"`
	LongNs  float64 `json:"long_ns"`
}

// CalibrateSpin measures spin's speed on the calling thread (which the
// caller has pinned to the executor CPU) and sizes the short and long
// requests to shortUs and longUs microseconds of work.
func CalibrateSpin(shortUs, longUs float64) SpinCalibration {
	spinSink.Store(spin(1, 5_000_000)) // warm up: CPU frequency, page faults, caches
	const probe = 200_000
	nsPerIter := medianNs(31, func(i int) { spinSink.Add(spin(uint64(i)|1, probe)) }) / probe
	c := SpinCalibration{ItersPerUs: 1000 / nsPerIter}
	c.ShortIters = max(1, int(math.Round(shortUs*c.ItersPerUs)))
	c.LongIters = max(1, int(math.Round(longUs*c.ItersPerUs)))
	c.CheckEvery = max(1, int(math.Round(pollIntervalNs/1000*c.ItersPerUs)))
	w := c.Workload(Coop)
	c.ShortNs = medianNs(2001, func(i int) { w.Serve(uint64(i), KindShort, noCheck{}) })
	c.LongNs = medianNs(101, func(i int) { w.Serve(uint64(i), KindLong, noCheck{}) })
	return c
}

// MeanServiceNs returns the mean cost of a request when a fraction
// longFrac of them are long.
func (c SpinCalibration) MeanServiceNs(longFrac float64) float64 {
	return (1-longFrac)*c.ShortNs + longFrac*c.LongNs
}

func (c SpinCalibration) String() string {
	return fmt.Sprintf("spin: %.1f iterations/µs; short %d iterations = %.2f µs, long %d iterations = %.1f µs (median); cooperative long polls every %d iterations (%.1f µs)",
		c.ItersPerUs, c.ShortIters, c.ShortNs/1e3, c.LongIters, c.LongNs/1e3, c.CheckEvery, float64(c.CheckEvery)/c.ItersPerUs)
}

// Workload returns workload A with these iteration counts.
func (c SpinCalibration) Workload(v Variant) Workload {
	return &spinWorkload{c: c, coop: v == Coop}
}

// spinWorkload is workload A: short and long calibrated spin loops.
type spinWorkload struct {
	c    SpinCalibration
	coop bool
}

func (w *spinWorkload) Serve(id uint64, kind uint32, chk Checker) {
	x := id | 1
	switch {
	case kind == KindShort:
		x = spin(x, w.c.ShortIters)
	case w.coop:
		for left := w.c.LongIters; left > 0; left -= w.c.CheckEvery {
			x = spin(x, min(left, w.c.CheckEvery))
			chk.Check()
		}
	default:
		x = spin(x, w.c.LongIters) // one call, no poll
	}
	spinSink.Store(x)
}
