package latency

import (
	"math"
	"slices"
)

// Inf stands for the latency of a request that never completed (dropped,
// or unfinished when the child stopped draining): it sorts after every
// real latency, so a percentile that lands on it says "not served".
const Inf int64 = math.MaxInt64

// Quantile returns the q-quantile (0 < q <= 1) of sorted by the
// nearest-rank rule: the smallest value v such that at least a fraction q
// of the samples are <= v, i.e. sorted[ceil(q*n)-1]. It is exact (no
// interpolation, no bucketing), and returns 0 for no samples.
func Quantile(sorted []int64, q float64) int64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// The epsilon keeps q*n that is an integer in exact arithmetic (0.99 *
	// 1000) from rounding up to the next rank through float error.
	rank := int(math.Ceil(q*float64(n) - 1e-9))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// Percentiles summarises one population of latencies, in ns.
type Percentiles struct {
	N    int   `json:"n"`
	P50  int64 `json:"p50_ns"`
	P99  int64 `json:"p99_ns"`
	P999 int64 `json:"p999_ns"`
	Max  int64 `json:"max_ns"`
	// Inf counts the samples equal to Inf (never completed).
	Inf int `json:"not_completed"`
}

// Summarize sorts lat in place and returns its percentiles.
func Summarize(lat []int64) Percentiles {
	slices.Sort(lat)
	ps := Percentiles{
		N:    len(lat),
		P50:  Quantile(lat, 0.50),
		P99:  Quantile(lat, 0.99),
		P999: Quantile(lat, 0.999),
	}
	if len(lat) > 0 {
		ps.Max = lat[len(lat)-1]
	}
	i, _ := slices.BinarySearch(lat, Inf)
	ps.Inf = len(lat) - i
	return ps
}
