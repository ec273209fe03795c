package latency

import (
	"math"
	"testing"
)

// TestSchedulePoisson checks, for fixed seeds, that the drawn arrivals are
// a Poisson process of the asked rate: the mean gap is 1/rate within 5
// standard errors, the gaps' coefficient of variation is about 1 (as for
// an exponential; a constant or uniform gap would fail), the counts in
// fixed windows have variance about equal to their mean (index of
// dispersion 1), and the long fraction is within 5 binomial standard
// deviations.
func TestSchedulePoisson(t *testing.T) {
	for _, tc := range []struct {
		seed uint64
		rate float64
	}{{1, 100_000}, {7, 13_000}, {42, 250_000}} {
		const n = 200_000
		const longFrac = 0.005
		s := NewSchedule(tc.seed, tc.rate, n, longFrac)
		if len(s.Offsets) != n || len(s.Kinds) != n {
			t.Fatalf("seed %d: %d offsets, %d kinds, want %d", tc.seed, len(s.Offsets), len(s.Kinds), n)
		}
		var sum, sumSq float64
		prev := int64(0)
		for i, off := range s.Offsets {
			gap := float64(off - prev)
			if gap < 0 {
				t.Fatalf("seed %d: offset %d goes back in time (%d after %d)", tc.seed, i, off, prev)
			}
			sum += gap
			sumSq += gap * gap
			prev = off
		}
		wantGap := 1e9 / tc.rate
		mean := sum / n
		if se := wantGap / math.Sqrt(n); math.Abs(mean-wantGap) > 5*se {
			t.Errorf("seed %d rate %.0f: mean gap %.1f ns, want %.1f ± %.1f", tc.seed, tc.rate, mean, wantGap, 5*se)
		}
		sd := math.Sqrt(sumSq/n - mean*mean)
		if cv := sd / mean; math.Abs(cv-1) > 0.02 {
			t.Errorf("seed %d: coefficient of variation of the gaps %.3f, want 1 ± 0.02", tc.seed, cv)
		}

		// Counts in windows of 20 expected arrivals.
		window := int64(20 * wantGap)
		counts := make([]float64, s.Duration()/window)
		for _, off := range s.Offsets {
			if w := off / window; int(w) < len(counts) {
				counts[w]++
			}
		}
		var cm, cv float64
		for _, c := range counts {
			cm += c
		}
		cm /= float64(len(counts))
		for _, c := range counts {
			cv += (c - cm) * (c - cm)
		}
		cv /= float64(len(counts) - 1)
		if d := cv / cm; math.Abs(d-1) > 0.1 {
			t.Errorf("seed %d: index of dispersion of window counts %.3f, want 1 ± 0.1", tc.seed, d)
		}

		long := 0
		for _, k := range s.Kinds {
			switch k {
			case KindLong:
				long++
			case KindShort:
			default:
				t.Fatalf("seed %d: kind %d", tc.seed, k)
			}
		}
		want := longFrac * n
		if sd := math.Sqrt(n * longFrac * (1 - longFrac)); math.Abs(float64(long)-want) > 5*sd {
			t.Errorf("seed %d: %d long requests, want %.0f ± %.0f", tc.seed, long, want, 5*sd)
		}
	}
}

// TestScheduleSeed checks that a seed reproduces its schedule and that
// another seed gives another.
func TestScheduleSeed(t *testing.T) {
	a, b, c := NewSchedule(3, 1e5, 1000, 0.1), NewSchedule(3, 1e5, 1000, 0.1), NewSchedule(4, 1e5, 1000, 0.1)
	same, diff := true, false
	for i := range a.Offsets {
		same = same && a.Offsets[i] == b.Offsets[i] && a.Kinds[i] == b.Kinds[i]
		diff = diff || a.Offsets[i] != c.Offsets[i]
	}
	if !same || !diff {
		t.Errorf("seed 3 twice equal: %v (want true); seeds 3 and 4 differ: %v (want true)", same, diff)
	}
}
