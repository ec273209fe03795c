package p

import (
	"sync"
	"sync/atomic"

	"github.com/usched/usched/g"
)

// BatchLen is how many Gs a Batch holds: an overflow's worth.
const BatchLen = 128

// batchFreeMax bounds the empty Batches a Global keeps for reuse (3 KB
// each).
const batchFreeMax = 64

// Batch carries up to BatchLen unstarted Gs by value (g.Unstarted) from
// the P that overflowed them to the Ps that run them. The overflowing P
// recycles their descriptors at once, and the taker builds new ones from
// its own free list: a descriptor never crosses CPUs. Handing over the
// descriptors themselves cost the taker a cache miss per G (reading each
// G's link), and the maker another (its recycled descriptors came back
// from the taker through the FreePool): a Batch, a sequential array of 24
// bytes a G that the hardware prefetches, made a tiny G on 2 Ps 23% faster
// (27% with preemption off; bench/RESULTS.md).
type Batch struct {
	gs       [BatchLen]g.Unstarted
	off, end int    // gs[off:end] are queued
	next     *Batch // the queue's link
}

// Add appends u; the caller adds at most BatchLen. Owner of the Batch only.
func (b *Batch) Add(u g.Unstarted) {
	b.gs[b.end] = u
	b.end++
}

// Len returns the number of Gs in b.
func (b *Batch) Len() int { return b.end - b.off }

// batchLane is the Global's queue of Batches, oldest first. Its links and
// free list are guarded by a mutex, taken once per overflow (BatchLen
// Gs) by a producer and once or twice per Get by a consumer.
type batchLane struct {
	n          atomic.Int64 // Gs in the lane; read without mu
	mu         sync.Mutex
	head, tail *Batch   // protected by mu
	free       []*Batch // protected by mu: empty Batches for reuse
}

// newBatch returns an empty Batch, reused when one is free.
func (l *batchLane) newBatch() *Batch {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.free); n > 0 {
		b := l.free[n-1]
		l.free[n-1] = nil
		l.free = l.free[:n-1]
		return b
	}
	return new(Batch)
}

// recycle keeps the emptied b for reuse. l.mu held.
func (l *batchLane) recycle(b *Batch) {
	clear(b.gs[:b.end]) // drop the references to user functions
	b.off, b.end, b.next = 0, 0, nil
	if len(l.free) < batchFreeMax {
		l.free = append(l.free, b)
	}
}

// put appends b; an empty b is only recycled.
func (l *batchLane) put(b *Batch) {
	n := b.Len()
	l.mu.Lock()
	defer l.mu.Unlock()
	if n == 0 {
		l.recycle(b)
		return
	}
	if l.tail == nil {
		l.head = b
	} else {
		l.tail.next = b
	}
	l.tail = b
	l.n.Add(int64(n)) // under mu: take's decrement cannot run ahead of it
}

// take removes up to max Gs, oldest first, gives each a descriptor from
// pp's free list, and passes it to emit. It returns how many it took.
// One consumer at a time (the Global's mu serialises them). It holds l.mu
// only to find the head Batch and to unlink a finished one: producers
// never touch a Batch once it is queued, and only this consumer moves its
// off, so the copying runs unlocked, and a producer's put does not wait
// for it.
func (l *batchLane) take(pp *P, max int, emit func(*g.G)) int {
	if max <= 0 || l.n.Load() == 0 {
		return 0
	}
	l.mu.Lock()
	b := l.head
	l.mu.Unlock()
	k := 0
	for b != nil && k < max {
		for ; k < max && b.off < b.end; k++ {
			gp, _ := pp.NewG()
			g.Restore(gp, b.gs[b.off])
			b.off++
			emit(gp)
		}
		if b.off < b.end {
			break
		}
		l.mu.Lock()
		l.head = b.next // read under mu: put may be linking it now
		if l.head == nil {
			l.tail = nil
		}
		l.recycle(b)
		b = l.head
		l.mu.Unlock()
	}
	l.n.Add(-int64(k))
	return k
}
