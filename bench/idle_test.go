//go:build unix

package bench

import (
	"syscall"
	"testing"
	"time"

	"github.com/usched/usched"
)

// idleWindow is how long BenchmarkIdleCPU watches an idle process.
const idleWindow = time.Second

// BenchmarkIdleCPU reports the CPU time the whole process uses (getrusage
// RUSAGE_SELF, user + system) while it sleeps for idleWindow, as a
// percentage of one CPU:
//
//   - cpu-%-baseline: before the runtime exists;
//   - cpu-%: with a runtime open (one P per CPU), right after a burst of
//     work (a million tiny Gs and a fork-join fib(27)) has finished, so the
//     window includes the Ms' spinning down and parking.
//
// It also reports the parks and spin rounds the runtime counted in the
// window. b.N is ignored: each round measures once, and ns/op reports how
// long that took.
func BenchmarkIdleCPU(b *testing.B) {
	// Measure in the b.N == 1 run that starts every round (-count); later
	// calls of the same round (a larger b.N) report the same values.
	if b.N == 1 || idleLast == nil {
		t0 := time.Now()
		idleLast = measureIdleCPU(b)
		idleTook = time.Since(t0)
	}
	for i, unit := range idleUnits {
		b.ReportMetric(idleLast[i], unit)
	}
	// ns/op: how long the measurement took (two idle windows and the burst).
	b.ReportMetric(float64(idleTook.Nanoseconds()), "ns/op")
}

var (
	idleUnits = []string{"cpu-%-baseline", "cpu-%", "parks/idle-window", "spins/idle-window"}
	idleLast  []float64     // the last round's values, in idleUnits order
	idleTook  time.Duration // and how long the measurement took
)

func measureIdleCPU(b *testing.B) []float64 {
	baseline := idleCPUPercent(b)

	rt, err := usched.New(usched.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := rt.Close(); err != nil {
			b.Error(err)
		}
	}()
	rt.Go(func(gp *usched.G) {
		for range 1_000_000 {
			gp.Go(noopG)
		}
	})
	rt.Go(func(gp *usched.G) {
		if res := fibUsched(gp, fibN); res != fibWant {
			panic("fib: wrong result")
		}
	})
	if err := rt.Wait(); err != nil {
		b.Fatal(err)
	}
	before := rt.Stats().Total()
	pct := idleCPUPercent(b)
	after := rt.Stats().Total()
	return []float64{baseline, pct, float64(after.Parks - before.Parks), float64(after.Spins - before.Spins)}
}

// idleCPUPercent sleeps for idleWindow and returns the process CPU time
// used meanwhile, in percent of the wall time.
func idleCPUPercent(b *testing.B) float64 {
	c0 := cpuTime(b)
	t0 := time.Now()
	time.Sleep(idleWindow)
	c1 := cpuTime(b)
	return 100 * float64(c1-c0) / float64(time.Since(t0))
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
