package p

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usched/usched/g"
)

// TestBatchRecycledEmpty: a Batch taken to the end goes back to the free
// list holding no references to the Gs' functions (they must not outlive
// the Gs in a spare Batch), and is handed out again by newBatch.
func TestBatchRecycledEmpty(t *testing.T) {
	var l batchLane
	pp := New(0, 1, new(FreePool))
	b := l.newBatch()
	for range 5 {
		gp := new(g.G)
		g.Init(gp, func(*g.G) {}, nil, 0, g.Normal)
		b.Add(g.Save(gp))
	}
	l.put(b)
	var got []*g.G
	require.Equal(t, 3, l.take(pp, 3, func(gp *g.G) { got = append(got, gp) }))
	require.Empty(t, l.free, "a Batch with Gs left is not recycled")
	require.Equal(t, 2, l.take(pp, 10, func(gp *g.G) { got = append(got, gp) }))
	require.Len(t, got, 5)
	require.Zero(t, l.n.Load())
	require.Equal(t, []*Batch{b}, l.free)
	require.Equal(t, [BatchLen]g.Unstarted{}, b.gs, "a recycled Batch keeps no G")
	require.Zero(t, b.Len())
	require.Same(t, b, l.newBatch())
}
