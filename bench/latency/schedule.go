package latency

import (
	"math"
	"math/rand/v2"
)

// Schedule is an open-loop arrival schedule drawn in advance: request i
// arrives Offsets[i] nanoseconds after the start and is of kind Kinds[i].
// Drawing it before the run keeps the random number generator off the
// generator's timed loop, and makes a seed reproduce the same arrivals.
type Schedule struct {
	Offsets []int64  // nondecreasing; Offsets[0] is the first inter-arrival gap
	Kinds   []uint32 // KindShort or KindLong
}

// NewSchedule draws n arrivals of a Poisson process of rate requests per
// second: inter-arrival gaps are exponential with mean 1/rate, and each
// request is long with probability longFrac, independently. The offsets
// are accumulated in float64 and rounded once, so that rounding does not
// bias the rate.
func NewSchedule(seed uint64, rate float64, n int, longFrac float64) Schedule {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	s := Schedule{Offsets: make([]int64, n), Kinds: make([]uint32, n)}
	meanGap := 1e9 / rate
	t := 0.0
	for i := range n {
		t += rng.ExpFloat64() * meanGap
		s.Offsets[i] = int64(math.Round(t))
		if rng.Float64() < longFrac {
			s.Kinds[i] = KindLong
		}
	}
	return s
}

// Duration returns the time from the start to the last arrival, in ns.
func (s Schedule) Duration() int64 {
	if len(s.Offsets) == 0 {
		return 0
	}
	return s.Offsets[len(s.Offsets)-1]
}
