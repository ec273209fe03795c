package bench

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usched/usched"
)

// BenchmarkSleepMillion puts a million Gs to sleep at once (G.Sleep: a
// timer on their M, no thread) and reports what each sleeping G costs:
// heap plus goroutine stacks, measured while all of them sleep, against
// the same count before they started. One op is the whole batch: start,
// all asleep, all woken, all finished. -short uses 10,000 Gs.
func BenchmarkSleepMillion(b *testing.B) {
	n, wake := 1_000_000, 8*time.Second
	if testing.Short() {
		n, wake = 10_000, 500*time.Millisecond
	}
	rt := newRuntime(b, usched.Config{})
	var perG float64
	for range b.N {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		var asleep atomic.Int64
		all := make(chan struct{})
		deadline := time.Now().Add(wake)
		var woke atomic.Int64
		rt.Go(func(gp *usched.G) {
			for range n {
				gp.Go(func(gp *usched.G) {
					if asleep.Add(1) == int64(n) {
						close(all)
					}
					// Sleep until a common deadline: starting a million
					// takes a few seconds here, and the first must still
					// sleep when the last starts.
					gp.Sleep(time.Until(deadline))
					woke.Add(1)
				})
			}
		})
		<-all
		var during runtime.MemStats
		runtime.ReadMemStats(&during)
		if time.Now().After(deadline) {
			b.Fatalf("the sleepers took longer than %v to start: the measurement missed some", wake)
		}
		if err := rt.Wait(); err != nil {
			b.Fatal(err)
		}
		if woke.Load() != int64(n) {
			b.Fatalf("%d of %d sleepers woke", woke.Load(), n)
		}
		used := float64(during.HeapInuse+during.StackInuse) - float64(before.HeapInuse+before.StackInuse)
		perG = used / float64(n)
	}
	b.ReportMetric(perG, "B/sleeping-G")
	b.ReportMetric(float64(n), "sleeping-Gs")
}
