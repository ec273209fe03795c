package steal_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/usched/usched/steal"
)

// BenchmarkPushPop is the owner's fast path: one PushBottom and one
// PopBottom per op, no thieves. "empty" pops the only item, which takes
// PopBottom's CAS path; "deep" keeps 64 items below it, the common case of a
// P with a backlog, where PopBottom needs no CAS.
func BenchmarkPushPop(b *testing.B) {
	for _, bc := range []struct {
		name    string
		backlog int
	}{{"empty", 0}, {"deep", 64}} {
		b.Run(bc.name, func(b *testing.B) {
			d := steal.NewDeque[int](1024)
			x := new(int)
			for range bc.backlog {
				d.PushBottom(x)
			}
			for b.Loop() {
				d.PushBottom(x)
				d.PopBottom()
			}
		})
	}
}

// BenchmarkSteal is one uncontended Steal per op. The deque is refilled in
// batches with the timer stopped, so only the steals are timed.
func BenchmarkSteal(b *testing.B) {
	const batch = 4096
	d := steal.NewDeque[int](batch)
	x := new(int)
	for i := 0; i < b.N; i += batch {
		b.StopTimer()
		k := min(batch, b.N-i)
		for range k {
			d.PushBottom(x)
		}
		b.StartTimer()
		for range k {
			if y, _ := d.Steal(); y == nil {
				b.Fatal("uncontended Steal failed")
			}
		}
	}
}

// BenchmarkStealHalf is one uncontended StealHalf of a 64-item deque into
// another (32 single-item steals and pushes) per op, plus the owner
// refilling it.
func BenchmarkStealHalf(b *testing.B) {
	src := steal.NewDeque[int](64)
	dst := steal.NewDeque[int](64)
	x := new(int)
	for b.Loop() {
		for src.Len() < 64 {
			src.PushBottom(x)
		}
		src.StealHalf(dst)
		for dst.PopBottom() != nil {
		}
	}
}

// BenchmarkStealContended is the owner's push/pop pair while one thief
// goroutine calls Steal in a loop on the same deque: the cost of sharing
// top's and bottom's cache lines, and of losing the last item to the thief.
// steals/op is the fraction of pairs whose item the thief took.
func BenchmarkStealContended(b *testing.B) {
	d := steal.NewDeque[int](1024)
	x := new(int)
	var stop atomic.Bool
	var stolen atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		n := int64(0)
		for !stop.Load() {
			if y, _ := d.Steal(); y != nil {
				n++
			}
		}
		stolen.Store(n)
	})
	for b.Loop() {
		d.PushBottom(x)
		d.PopBottom()
	}
	stop.Store(true)
	wg.Wait()
	b.ReportMetric(float64(stolen.Load())/float64(b.N), "steals/op")
}
