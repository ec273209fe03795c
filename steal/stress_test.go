package steal_test

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usched/usched/steal"
)

// TestDequeStress runs one owner against four thieves and checks
// conservation: every item 0..n-1 is taken exactly once, by the owner
// (PopBottom, PopTop, PopTopN) or by a thief (Steal, or StealHalf into its
// own deque, which it drains with PopBottom). The owner pushes one at a
// time and in batches (PushBottomN).
//
// The owner works in rounds, each on a fresh deque of capacity 32 published
// to the thieves, so the ring grows many times while thieves hold old rings.
// Within a round it alternates bursts (long deques, StealHalf with many
// items, growth) and a fine push/pop mix near empty (the last-item race
// between PopBottom's CAS and Steal's).
func TestDequeStress(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 50_000
	}
	const thieves = 4
	rounds := 20

	ps := items(n)
	taken := make([]atomic.Int32, n)
	var total atomic.Int64
	take := func(x *int) {
		taken[*x].Add(1)
		total.Add(1)
	}

	var current atomic.Pointer[steal.Deque[int]] // the owner's deque of this round
	var done atomic.Bool                         // set once the owner has pushed and drained everything
	var stats struct{ steals, halves, halfItems, lost, negLen atomic.Int64 }

	current.Store(steal.NewDeque[int](32))
	var wg sync.WaitGroup
	for id := range thieves {
		wg.Go(func() {
			mine := steal.NewDeque[int](32)
			rng := steal.NewRand(uint64(id) + 100)
			for {
				// Read done first: once it is set the owner pushes no more
				// and its deques are empty, so this is the last try.
				finished := done.Load()
				victim := current.Load()
				empty := false
				if rng.Uint32n(2) == 0 {
					x, retry := victim.Steal()
					switch {
					case x != nil:
						stats.steals.Add(1)
						take(x)
					case retry:
						stats.lost.Add(1)
					default:
						empty = true
					}
				} else if k := victim.StealHalf(mine); k > 0 {
					stats.halves.Add(1)
					stats.halfItems.Add(int64(k))
				} else {
					empty = true
				}
				if empty && rng.Uint32n(8) == 0 {
					runtime.Gosched() // with -cpu 1, let the owner refill
				}
				if victim.Len() < 0 {
					stats.negLen.Add(1)
				}
				for x := mine.PopBottom(); x != nil; x = mine.PopBottom() {
					take(x)
				}
				if finished {
					return
				}
			}
		})
	}

	rng := steal.NewRand(1) // fixed seed: the owner's choices are reproducible
	ownerTake := func(x *int) {
		if x != nil {
			take(x)
		}
	}
	pop := func(d *steal.Deque[int]) {
		switch rng.Uint32n(8) {
		case 0, 1:
			ownerTake(d.PopTop())
		case 2:
			// A batch from the top, racing thieves for the same
			// indices with one CAS.
			d.PopTopN(int(rng.Uint32n(64))+1, take)
		default:
			ownerTake(d.PopBottom())
		}
	}
	growths := 0
	next := 0
	for r := range rounds {
		d := steal.NewDeque[int](32)
		current.Store(d)
		end := n * (r + 1) / rounds
		for next < end {
			if rng.Uint32n(2) == 0 {
				// Burst: push up to 4096, then pop some back.
				k := min(int(rng.Uint32n(4096))+1, end-next)
				if rng.Uint32n(2) == 0 {
					for i := next; i < next+k; {
						m := min(int(rng.Uint32n(200))+1, next+k-i)
						d.PushBottomN(ps[i : i+m])
						i += m
					}
					next += k
				} else {
					for range k {
						d.PushBottom(ps[next])
						next++
					}
				}
				if rng.Uint32n(4) == 0 {
					runtime.Gosched() // with -cpu 1, let thieves meet a full deque
				}
				for range rng.Uint32n(uint32(k)) {
					pop(d)
				}
			} else {
				// Near-empty mix: about as many pops as pushes.
				for range 64 {
					if next < end && rng.Uint32n(2) == 0 {
						d.PushBottom(ps[next])
						next++
					} else {
						pop(d)
					}
				}
			}
		}
		for x := d.PopBottom(); x != nil; x = d.PopBottom() {
			take(x)
		}
		require.True(t, d.Empty())
		for c := d.Cap(); c > 32; c /= 2 {
			growths++
		}
	}
	done.Store(true)
	wg.Wait()

	t.Logf("n=%d growths=%d steals=%d stealHalf=%d (items %d) lost races=%d",
		n, growths, stats.steals.Load(), stats.halves.Load(), stats.halfItems.Load(), stats.lost.Load())
	require.Zero(t, stats.negLen.Load(), "Len returned a negative value")
	require.GreaterOrEqual(t, growths, rounds, "the rings hardly grew; the test lost its point")
	for i := range taken {
		if c := taken[i].Load(); c != 1 {
			require.Failf(t, "conservation broken", "item %d taken %d times", i, c)
		}
	}
	require.Equal(t, int64(n), total.Load())
}

// TestStealHalfRacesPopBottom aims at the race that makes a one-CAS
// steal-half unsound (package doc, "rejected alternatives" 3): the owner
// pops small batches from the bottom, without CAS except for the last item,
// while a thief keeps stealing half from the top. Each item must be taken
// exactly once.
func TestStealHalfRacesPopBottom(t *testing.T) {
	rounds := 1_000_000
	if testing.Short() {
		rounds = 100_000
	}
	const batch = 8
	ps := items(batch)
	var stolen [batch]atomic.Int64 // per-item counts; only totals per slot matter
	var popped [batch]int64
	d := steal.NewDeque[int](32)
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		mine := steal.NewDeque[int](32)
		for !stop.Load() {
			d.StealHalf(mine)
			for x := mine.PopBottom(); x != nil; x = mine.PopBottom() {
				stolen[*x].Add(1)
			}
		}
	})
	for range rounds {
		// Every round pushes each item once; it is back in our hands (popped
		// or counted as stolen) before the next round pushes it again, since
		// PopBottom runs until the deque is empty.
		for _, p := range ps {
			d.PushBottom(p)
		}
		for x := d.PopBottom(); x != nil; x = d.PopBottom() {
			popped[*x]++
		}
	}
	stop.Store(true)
	wg.Wait()
	for i := range batch {
		require.Equal(t, int64(rounds), popped[i]+stolen[i].Load(), "item %d: popped %d, stolen %d", i, popped[i], stolen[i].Load())
	}
}
