package p

import (
	"math/bits"
	"sync/atomic"
)

// LatencyBuckets is the number of buckets of a Histogram. Bucket i counts
// samples in [2^i, 2^(i+1)) nanoseconds (bucket 0 also takes 0 ns); the
// last bucket takes everything above.
const LatencyBuckets = 40

// Histogram is a log2 histogram of durations in nanoseconds. Record is
// called by the owner only but is atomic, so any thread may Load: it is
// used for sampled events (one G in SampleEvery), where an uncontended
// atomic add on the owner's cache line costs nothing measurable.
type Histogram struct {
	counts [LatencyBuckets]atomic.Uint64
}

// Record adds one sample of ns nanoseconds.
func (h *Histogram) Record(ns int64) {
	i := 0
	if ns > 0 {
		i = bits.Len64(uint64(ns)) - 1
	}
	if i >= LatencyBuckets {
		i = LatencyBuckets - 1
	}
	h.counts[i].Add(1)
}

// Load returns the count of bucket i. Any thread.
func (h *Histogram) Load(i int) uint64 { return h.counts[i].Load() }

// SampleEvery is the sampling period of the scheduling-latency histogram:
// one spawned G in SampleEvery carries a timestamp. A clock read costs
// about 40-50 ns here, more than a whole tiny G, so timing every G would
// double its cost.
const SampleEvery = 64
