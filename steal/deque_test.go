package steal_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usched/usched/steal"
)

// items returns n distinct pointers whose values are 0..n-1.
func items(n int) []*int {
	backing := make([]int, n)
	ps := make([]*int, n)
	for i := range backing {
		backing[i] = i
		ps[i] = &backing[i]
	}
	return ps
}

func TestNewDequeCapacity(t *testing.T) {
	for _, tc := range []struct{ in, want int }{
		{-1, 32}, {0, 32}, {1, 32}, {32, 32}, {33, 64}, {64, 64}, {1000, 1024}, {1 << 20, 1 << 20},
	} {
		require.Equal(t, tc.want, steal.NewDeque[int](tc.in).Cap(), "NewDeque(%d)", tc.in)
	}
}

func TestDequeLayout(t *testing.T) {
	// Owner writes bottom, thieves write top: they must not share a line,
	// nor share one with a neighbour of the Deque.
	require.GreaterOrEqual(t, steal.BottomOffset-steal.TopOffset, steal.CacheLineSize)
	require.GreaterOrEqual(t, steal.TopOffset, steal.CacheLineSize)
	require.GreaterOrEqual(t, steal.DequeSize-steal.BottomOffset, steal.CacheLineSize)
	require.Zero(t, steal.DequeSize%steal.CacheLineSize)
}

const seqN = 100_000 // from capacity 32: about 12 growths

func TestDequeLIFOBottom(t *testing.T) {
	d := steal.NewDeque[int](0)
	ps := items(seqN)
	for _, p := range ps {
		d.PushBottom(p)
	}
	require.Equal(t, 1<<17, d.Cap()) // grew 32 -> 131072
	require.Equal(t, seqN, d.Len())
	got := make([]int, 0, seqN)
	for x := d.PopBottom(); x != nil; x = d.PopBottom() {
		got = append(got, *x)
	}
	require.Equal(t, seqN, len(got))
	for i, v := range got {
		if v != seqN-1-i {
			t.Fatalf("pop %d returned %d, want %d", i, v, seqN-1-i)
		}
	}
	require.True(t, d.Empty())
	require.Zero(t, d.Len())
}

func TestDequeFIFOTop(t *testing.T) {
	ps := items(seqN)
	take := map[string]func(d *steal.Deque[int]) *int{
		"PopTop": (*steal.Deque[int]).PopTop,
		"PopTopN": func(d *steal.Deque[int]) *int {
			var x *int
			n := d.PopTopN(1, func(y *int) { x = y })
			require.Equal(t, n == 1, x != nil, "PopTopN's count and its calls disagree")
			return x
		},
		"Steal": func(d *steal.Deque[int]) *int {
			x, retry := d.Steal()
			require.False(t, retry, "uncontended Steal lost a race")
			return x
		},
	}
	for name, pop := range take {
		t.Run(name, func(t *testing.T) {
			d := steal.NewDeque[int](32)
			for _, p := range ps {
				d.PushBottom(p)
			}
			got := make([]int, 0, seqN)
			for x := pop(d); x != nil; x = pop(d) {
				got = append(got, *x)
			}
			require.Equal(t, seqN, len(got))
			for i, v := range got {
				if v != i {
					t.Fatalf("take %d returned %d, want %d", i, v, i)
				}
			}
			require.True(t, d.Empty())
		})
	}
}

// TestDequeGrowWhileWrapped grows a ring whose live range wraps around the
// end of the array, so the copy must follow indices, not array positions.
func TestDequeGrowWhileWrapped(t *testing.T) {
	d := steal.NewDeque[int](32)
	ps := items(1000)
	next, want := 0, 0
	for range 20 { // move top and bottom 20 slots into the ring
		d.PushBottom(ps[next])
		next++
		require.Equal(t, want, *d.PopTop())
		want++
	}
	for next < len(ps) {
		d.PushBottom(ps[next])
		next++
	}
	require.Equal(t, 1024, d.Cap())
	for ; want < len(ps); want++ {
		require.Equal(t, want, *d.PopTop())
	}
	require.True(t, d.Empty())
}

// TestDequePushBottomN: a batch push keeps the order of the batch (the
// last item is the newest), grows a wrapped ring as often as it needs to
// in one call, and mixes with single pushes.
func TestDequePushBottomN(t *testing.T) {
	d := steal.NewDeque[int](32)
	ps := items(1000)
	for i := range 20 { // move top and bottom 20 slots into the ring
		d.PushBottom(ps[i])
		require.Same(t, ps[i], d.PopTop())
	}
	d.PushBottomN(ps[20:25])
	d.PushBottom(ps[25])
	d.PushBottomN(nil)
	d.PushBottomN(ps[26:1000]) // two doublings and more in one call
	require.Equal(t, 980, d.Len())
	require.Equal(t, 1024, d.Cap())
	require.Same(t, ps[999], d.PopBottom())
	for i := 20; i < 999; i++ {
		require.Same(t, ps[i], d.PopTop())
	}
	require.True(t, d.Empty())
	require.Panics(t, func() { d.PushBottomN([]*int{ps[0], nil}) })
}

// TestDequeWrapWithoutGrowth runs indices far past the ring size while
// keeping at most 31 items, so the ring must be reused, never grown.
func TestDequeWrapWithoutGrowth(t *testing.T) {
	d := steal.NewDeque[int](32)
	ps := items(10_000)
	head := 0
	for i, p := range ps {
		d.PushBottom(p)
		if i-head == 30 {
			x, _ := d.Steal()
			require.Equal(t, head, *x)
			head++
		}
	}
	require.Equal(t, 32, d.Cap())
	for ; head < len(ps); head++ {
		require.Equal(t, head, *d.PopTop())
	}
}

// TestDequePopTopNBatches takes batches of several sizes, oldest first,
// from a ring whose live range wraps, and checks the count against max and
// against what is left.
func TestDequePopTopNBatches(t *testing.T) {
	d := steal.NewDeque[int](32)
	ps := items(100)
	for _, p := range ps[:20] { // move top 20 slots into the ring
		d.PushBottom(p)
	}
	want := 0
	require.Equal(t, 20, d.PopTopN(100, func(x *int) {
		require.Equal(t, want, *x)
		want++
	}))
	for _, p := range ps[20:50] { // 30 items across the end of the ring
		d.PushBottom(p)
	}
	for _, max := range []int{0, 1, 7, 16, 100} {
		left := d.Len()
		n := d.PopTopN(max, func(x *int) {
			require.Equal(t, want, *x, "max %d: order", max)
			want++
		})
		require.Equal(t, min(max, left), n, "max %d", max)
	}
	require.Equal(t, 50, want)
	require.True(t, d.Empty())
	require.Zero(t, d.PopTopN(8, func(*int) { t.Fatal("PopTopN called fn on an empty deque") }))
}

func TestDequeMixedEnds(t *testing.T) {
	d := steal.NewDeque[int](32)
	ps := items(4)
	for _, p := range ps {
		d.PushBottom(p)
	}
	require.Equal(t, 0, *d.PopTop())
	require.Equal(t, 3, *d.PopBottom())
	x, retry := d.Steal()
	require.False(t, retry)
	require.Equal(t, 1, *x)
	require.Equal(t, 2, *d.PopBottom()) // the last item: PopBottom's CAS path
	require.Nil(t, d.PopBottom())
	require.Nil(t, d.PopTop())
	x, retry = d.Steal()
	require.Nil(t, x)
	require.False(t, retry)
}

func TestDequeLenEmpty(t *testing.T) {
	d := steal.NewDeque[int](0)
	require.True(t, d.Empty())
	require.Zero(t, d.Len())
	// Popping an empty deque moves bottom below top and back; it must not
	// leave it there.
	for range 3 {
		require.Nil(t, d.PopBottom())
		require.Zero(t, d.Len())
		require.True(t, d.Empty())
	}
	ps := items(100)
	for i, p := range ps {
		d.PushBottom(p)
		require.Equal(t, i+1, d.Len())
		require.False(t, d.Empty())
	}
	d.PopBottom()
	d.PopTop()
	d.Steal()
	require.Equal(t, 97, d.Len())
	for d.PopBottom() != nil {
	}
	require.Zero(t, d.Len())
	require.True(t, d.Empty())
}

func TestDequeMisuse(t *testing.T) {
	d := steal.NewDeque[int](0)
	require.PanicsWithValue(t, "steal: PushBottom of nil", func() { d.PushBottom(nil) })
	require.PanicsWithValue(t, "steal: StealHalf into the source deque", func() { d.StealHalf(d) })
}

// TestStealHalf is Go's RunSchedLocalQueueStealTest for this deque: for each
// length i, an uncontended StealHalf moves i/2 or i/2+1 items, keeps their
// order, and every item ends up in exactly one deque.
func TestStealHalf(t *testing.T) {
	ps := items(300) // src grows up to 512 slots, dst up to 256
	for i := range len(ps) + 1 {
		src := steal.NewDeque[int](32)
		dst := steal.NewDeque[int](32)
		for _, p := range ps[:i] {
			src.PushBottom(p)
		}
		n := src.StealHalf(dst)
		require.True(t, n == i/2 || n == i/2+1, "StealHalf of %d moved %d", i, n)
		require.Equal(t, n, dst.Len())
		require.Equal(t, i-n, src.Len())
		// The oldest n items moved, oldest at dst's top; the rest stayed.
		var got []int
		for _, d := range []*steal.Deque[int]{dst, src} {
			for x := d.PopTop(); x != nil; x = d.PopTop() {
				got = append(got, *x)
			}
			require.True(t, d.Empty())
		}
		require.Len(t, got, i)
		for want, v := range got {
			require.Equal(t, want, v, "StealHalf of %d: order", i)
		}
	}
}

// TestStealHalfAppends checks that stolen items go below what dst already
// holds, newest at dst's bottom.
// TestStealHalfMax: the bound caps a large steal and leaves a small one
// at half; the oldest items move, in order.
func TestStealHalfMax(t *testing.T) {
	ps := items(100)
	for _, tc := range []struct{ items, max, want int }{
		{100, 10, 10}, {100, 50, 50}, {100, 1000, 50}, {7, 2, 2}, {7, 10, 4}, {0, 5, 0}, {5, 0, 0},
	} {
		src := steal.NewDeque[int](0)
		dst := steal.NewDeque[int](0)
		for _, p := range ps[:tc.items] {
			src.PushBottom(p)
		}
		require.Equal(t, tc.want, src.StealHalfMax(dst, tc.max), "%d items, max %d", tc.items, tc.max)
		require.Equal(t, tc.want, dst.Len())
		require.Equal(t, tc.items-tc.want, src.Len())
		for want := range tc.want {
			require.Equal(t, want, *dst.PopTop(), "%d items, max %d: order", tc.items, tc.max)
		}
	}
}

func TestStealHalfAppends(t *testing.T) {
	ps := items(20)
	src := steal.NewDeque[int](0)
	dst := steal.NewDeque[int](0)
	for _, p := range ps[:10] {
		dst.PushBottom(p)
	}
	for _, p := range ps[10:] {
		src.PushBottom(p)
	}
	require.Equal(t, 5, src.StealHalf(dst))
	for want := 14; want >= 10; want-- {
		require.Equal(t, want, *dst.PopBottom())
	}
	require.Equal(t, 0, *dst.PopTop())
}
