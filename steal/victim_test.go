package steal_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usched/usched/steal"
)

// TestRandomOrder checks that every enumeration, for every start position
// and every stride Start can pick, visits each index exactly once.
func TestRandomOrder(t *testing.T) {
	var order steal.RandomOrder
	for count := uint32(1); count <= 64; count++ {
		order.Reset(count)
		// Seeds 0..count*count-1 reach every (position, stride) pair, since
		// there are at most count strides; add a few large seeds as well.
		seeds := make([]uint32, 0, count*count+4)
		for s := range count * count {
			seeds = append(seeds, s)
		}
		seeds = append(seeds, 1<<31, 1<<32-1, 0xdeadbeef, 12345678)
		for _, seed := range seeds {
			// Plain checks in the loop: require per step costs seconds here.
			seen := make([]int, count)
			n := 0
			for e := order.Start(seed); !e.Done() && n <= int(count); e.Next() {
				pos := e.Position()
				if pos >= count {
					t.Fatalf("count %d seed %d: position %d out of range", count, seed, pos)
				}
				seen[pos]++
				n++
			}
			require.Equal(t, int(count), n, "count %d seed %d: steps", count, seed)
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("count %d seed %d: index %d visited %d times", count, seed, i, c)
				}
			}
		}
	}
}

func TestRandomOrderEmpty(t *testing.T) {
	var order steal.RandomOrder
	e := order.Start(7) // zero value: nothing to enumerate
	require.True(t, e.Done())
	order.Reset(0)
	e = order.Start(7)
	require.True(t, e.Done())
}

func TestRand(t *testing.T) {
	a, b := steal.NewRand(42), steal.NewRand(42)
	var zero steal.Rand
	seen := map[uint64]bool{}
	for range 1000 {
		x := a.Uint64()
		require.Equal(t, x, b.Uint64(), "equal seeds must give equal sequences")
		seen[x] = true
		zero.Uint64()
	}
	require.Len(t, seen, 1000)

	// Uint32n stays in range and reaches every value of a small range.
	var hits [7]int
	for range 7000 {
		v := a.Uint32n(7)
		require.Less(t, v, uint32(7))
		hits[v]++
	}
	for v, h := range hits {
		require.Greater(t, h, 700, "value %d drawn only %d times in 7000", v, h)
	}
}
