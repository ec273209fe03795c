package bench

import (
	"runtime"
	"sync"
	"testing"

	"github.com/usched/usched"
)

// BenchmarkYield measures a yield round trip between two runnable tasks on
// one processor. One op is one round trip: each of the two tasks yields
// once (two yields, two task switches). Each task yields b.N times.
func BenchmarkYield(b *testing.B) {
	b.Run("usched", func(b *testing.B) {
		// One P: a root G spawns two children in a Group and waits; each
		// child calls G.Yield b.N times.
		rt := newRuntime(b, usched.Config{Procs: 1})
		before := rt.Stats().Total()
		N := b.N
		b.ReportAllocs()
		b.ResetTimer()
		rt.Go(func(gp *usched.G) {
			var grp usched.Group
			for range 2 {
				grp.Go(gp, func(c *usched.G) {
					for range N {
						c.Yield()
					}
				})
			}
			if err := grp.Wait(gp); err != nil {
				panic(err)
			}
		})
		if err := rt.Wait(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		// An idle runtime's counters are exact. Suspends per op shows
		// that the yields switched (2 per op) rather than returned at
		// once.
		after := rt.Stats().Total()
		if y := after.Yields - before.Yields; y < uint64(2*N) {
			b.Fatalf("Stats counted %d yields, want at least %d", y, 2*N)
		}
		b.ReportMetric(float64(after.Suspends-before.Suspends)/float64(N), "suspends/op")
	})

	b.Run("gosched", func(b *testing.B) {
		// GOMAXPROCS 1: two goroutines each call runtime.Gosched b.N
		// times; the benchmark goroutine sleeps in wg.Wait meanwhile.
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		var wg sync.WaitGroup
		N := b.N
		b.ReportAllocs()
		b.ResetTimer()
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range N {
					runtime.Gosched()
				}
			}()
		}
		wg.Wait()
		b.StopTimer()
	})
}
