package p_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usched/usched/g"
	"github.com/usched/usched/p"
)

// newGs returns n distinct Gs and the index of each.
func newGs(n int) ([]*g.G, map[*g.G]int) {
	gs := make([]*g.G, n)
	index := make(map[*g.G]int, n)
	for i := range gs {
		gs[i] = new(g.G)
		index[gs[i]] = i
	}
	return gs, index
}

func TestFIFOOrderAndGrowth(t *testing.T) {
	var q p.FIFO
	gs, _ := newGs(1000)
	require.Nil(t, q.Pop())
	// Interleave pushes and pops so the ring wraps before it grows.
	next := 0
	for i, gp := range gs {
		q.Push(gp)
		if i%3 == 2 {
			require.Same(t, gs[next], q.Pop())
			next++
		}
	}
	require.Equal(t, len(gs)-next, q.Len())
	for ; next < len(gs); next++ {
		require.Same(t, gs[next], q.Pop())
	}
	require.Nil(t, q.Pop())
	require.Zero(t, q.Len())
}

// TestMPSCStress: several producers push concurrently while the consumer
// pops; every G comes out exactly once and each producer's Gs come out in
// the order it pushed them.
func TestMPSCStress(t *testing.T) {
	producers, each := 4, 100_000
	if testing.Short() {
		each = 10_000
	}
	var q p.MPSC
	q.Init()
	require.True(t, q.Idle())
	gs, index := newGs(producers * each)
	var wg sync.WaitGroup
	for pr := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				q.Push(gs[pr*each+i])
			}
		}()
	}
	seen := make([]int, len(gs))
	last := make([]int, producers)
	for i := range last {
		last[i] = -1
	}
	got := 0
	for got < len(gs) {
		gp := q.Pop()
		if gp == nil {
			continue // empty for now, or a push in progress
		}
		id := index[gp]
		seen[id]++
		pr, i := id/each, id%each
		require.Greater(t, i, last[pr], "producer %d's Gs out of order", pr)
		last[pr] = i
		got++
	}
	wg.Wait()
	require.Nil(t, q.Pop())
	require.True(t, q.Idle())
	for id, n := range seen {
		require.Equal(t, 1, n, "G %d", id)
	}
}

// TestGlobalLanes: one producer Puts descriptors, two PutBatch Gs by value,
// while three consumers, each with its own P, Get batches of up to 16.
// Every G comes out exactly once (by-value Gs in a descriptor of the
// consumer's P, with their class and stamp), each consumer sees each
// producer's Gs in the order they were queued, and Len ends at zero.
func TestGlobalLanes(t *testing.T) {
	const each = 20_000 // Gs per producer
	var q p.Global
	q.Init()
	pool := new(p.FreePool)
	gs, index := newGs(each) // lane one: producer 0's descriptors
	var ran [3 * each]atomic.Int32
	// Gs by value: producer pr's G i is number pr*each+i, class and stamp
	// derived from it, and marks itself in ran when called.
	valueG := func(id int) *g.G {
		gp := new(g.G)
		g.Init(gp, func(*g.G) { ran[id].Add(1) }, nil, int64(id+1), g.Class(id%g.NumClasses))
		return gp
	}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		for _, gp := range gs {
			q.Put(gp)
		}
	}()
	for pr := 1; pr <= 2; pr++ {
		go func() {
			defer wg.Done()
			for i := 0; i < each; {
				b := q.NewBatch()
				for k := 0; k < 1+i%p.BatchLen && i < each; k++ {
					b.Add(g.Save(valueG(pr*each + i)))
					i++
				}
				q.PutBatch(b)
			}
		}()
	}
	var mu sync.Mutex
	total := 0
	for c := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pp := p.New(c, 3, pool)
			last := [3]int{-1, -1, -1}
			var mine []*g.G
			for {
				mu.Lock()
				done := total == 3*each
				mu.Unlock()
				if done {
					break
				}
				first, taken := q.Get(pp, 16, func(gp *g.G) { mine = append(mine, gp) })
				if first == nil {
					continue
				}
				require.LessOrEqual(t, taken, 16)
				mine = append([]*g.G{first}, mine...)
				require.Len(t, mine, taken)
				for _, gp := range mine {
					id, byRef := index[gp]
					if !byRef {
						g.Func(gp)(gp) // marks ran[id]
						id = int(g.Stamp(gp)) - 1
						require.Equal(t, g.Class(id%g.NumClasses), gp.Class(), "G %d's class", id)
					} else {
						ran[id].Add(1)
					}
					pr, i := id/each, id%each
					require.Greater(t, i, last[pr], "producer %d's Gs out of order", pr)
					last[pr] = i
				}
				mu.Lock()
				total += taken
				mu.Unlock()
				mine = mine[:0]
			}
		}()
	}
	wg.Wait()
	require.Zero(t, q.Len())
	for id := range ran {
		require.EqualValues(t, 1, ran[id].Load(), "G %d", id)
	}
}

func TestCountersPublish(t *testing.T) {
	pp := p.New(0, 3, new(p.FreePool))
	pp.C.Inc(p.RanGs)
	pp.C.Add(p.StolenGs, 5)
	pp.C.AddStolenFrom(2, 5)
	require.Zero(t, pp.C.Load(p.RanGs), "not visible before Publish")
	pp.C.Publish()
	require.EqualValues(t, 1, pp.C.Load(p.RanGs))
	require.EqualValues(t, 5, pp.C.Load(p.StolenGs))
	require.EqualValues(t, 5, pp.C.LoadStolenFrom(2))
	require.Zero(t, pp.C.LoadStolenFrom(1))
}

// TestRunqStealHalf: a thief P takes about half of a victim's queue and
// then its runnext, and no G is lost or duplicated.
func TestRunqStealHalf(t *testing.T) {
	pool := new(p.FreePool)
	victim, thief := p.New(0, 2, pool), p.New(1, 2, pool)
	gs, _ := newGs(101)
	for _, gp := range gs {
		victim.RunqPut(gp) // the last one stays in runnext
	}
	require.Equal(t, 101, victim.RunqLen())
	n := thief.StealFrom(victim)
	require.GreaterOrEqual(t, n, 50)
	require.LessOrEqual(t, n, 51)
	seen := map[*g.G]int{}
	for gp := thief.RunqGet(); gp != nil; gp = thief.RunqGet() {
		seen[gp]++
	}
	for gp := victim.RunqGet(); gp != nil; gp = victim.RunqGet() {
		seen[gp]++
	}
	require.Len(t, seen, 101)
	for _, k := range seen {
		require.Equal(t, 1, k)
	}
	// Only runnext left: a thief takes it.
	victim.RunqPut(gs[0])
	require.Equal(t, 1, thief.StealFrom(victim))
	require.True(t, victim.RunqEmpty())
	require.Same(t, gs[0], thief.RunqGet())
}

func TestHistogram(t *testing.T) {
	var h p.Histogram
	h.Record(0)
	h.Record(1)
	h.Record(1000) // 2^9 <= 1000 < 2^10
	h.Record(1 << 62)
	require.EqualValues(t, 2, h.Load(0))
	require.EqualValues(t, 1, h.Load(9))
	require.EqualValues(t, 1, h.Load(p.LatencyBuckets-1))
}

// TestFreePoolExchange: descriptors freed on one P come back to another P
// through the pool, in batches, instead of being allocated anew.
func TestFreePoolExchange(t *testing.T) {
	pool := new(p.FreePool)
	runner, spawner := p.New(0, 2, pool), p.New(1, 2, pool)
	freed := map[*g.G]bool{}
	for range 2000 {
		gp, _ := runner.NewG()
		freed[gp] = true
	}
	for gp := range freed {
		runner.FreeG(gp)
	}
	reused := 0
	for range 1000 {
		gp, id := spawner.NewG()
		require.NotZero(t, id)
		if freed[gp] {
			reused++
		}
	}
	require.GreaterOrEqual(t, reused, 512, "the spawner must get the runner's freed descriptors from the pool")
}
