package p

import (
	"sync"
	"sync/atomic"

	"github.com/usched/usched/g"
)

// Global is the runtime-wide queue, in two lanes. Gs submitted from
// outside the runtime (plain goroutines calling Runtime.Go) come one at a
// time into an MPSC of descriptors: producers never take a lock, a push is
// the MPSC's exchange. Gs a P overflows come by value, a Batch at a time
// (see Batch). Consumers (any M) serialise on a mutex with TryLock and
// take a batch at a time into their own deque, as Go's globrunqget does,
// so that one lock acquisition pays for many Gs; successive takes start
// with alternate lanes, so neither lane can starve the other.
type Global struct {
	pushed atomic.Int64 // Gs ever pushed; may run ahead of the lanes (counted before the push)
	q      MPSC         // consumer side protected by mu; its tail shares pushed's line (both producer-written)
	mu     sync.Mutex   // serialises consumers; after q's consumer half, off the producers' line
	popped atomic.Int64 // Gs ever popped (counted after the pop); written under mu
	// batchesFirst says which lane the next Get serves first. Protected
	// by mu.
	batchesFirst bool
	batches      batchLane
}

// Init makes the queue empty.
func (q *Global) Init() { q.q.Init() }

// Put appends gp. Any thread.
func (q *Global) Put(gp *g.G) {
	q.pushed.Add(1) // before the push: a consumer that sees Len > 0 may find the push in progress and retry
	q.q.Push(gp)
}

// NewBatch returns an empty Batch to fill and pass to PutBatch. Any
// thread.
func (q *Global) NewBatch() *Batch { return q.batches.newBatch() }

// PutBatch appends the Gs of b, which the queue then owns. Any thread.
func (q *Global) PutBatch(b *Batch) {
	q.pushed.Add(int64(b.Len()))
	q.batches.put(b)
}

// Len reports the number of Gs submitted and not yet taken; a push in
// progress counts. Any thread. popped is read first: both only grow, so
// the difference is never negative.
func (q *Global) Len() int64 {
	out := q.popped.Load()
	return q.pushed.Load() - out
}

// Pushed and Popped return how many Gs were ever pushed (a push in
// progress counts) and popped: the arrival and departure counts of the
// queue as a FIFO. Any thread.
func (q *Global) Pushed() uint64 { return uint64(q.pushed.Load()) }
func (q *Global) Popped() uint64 { return uint64(q.popped.Load()) }

// Get takes up to max Gs, in the order of their lane: the first is
// returned, the rest are passed to spill in order (the caller pushes them
// into its deque); taken counts them all. Gs that arrive by value get
// descriptors from pp, the caller's P. It returns nil when the queue is
// empty, a push is in progress, or another consumer holds the queue. Any
// thread, pp's owner.
func (q *Global) Get(pp *P, max int, spill func(*g.G)) (first *g.G, taken int) {
	if q.Len() == 0 || !q.mu.TryLock() {
		return nil, 0
	}
	emit := func(gp *g.G) {
		if first == nil {
			first = gp
		} else {
			spill(gp)
		}
	}
	q.batchesFirst = !q.batchesFirst
	if q.batchesFirst {
		taken = q.batches.take(pp, max, emit)
		taken += q.popChain(max-taken, emit)
	} else {
		taken = q.popChain(max, emit)
		taken += q.batches.take(pp, max-taken, emit)
	}
	if taken > 0 {
		q.popped.Add(int64(taken))
	}
	q.mu.Unlock()
	return first, taken
}

// popChain takes up to max Gs of the MPSC lane and passes them to emit.
// q.mu held.
func (q *Global) popChain(max int, emit func(*g.G)) int {
	k := 0
	for ; k < max; k++ {
		gp := q.q.Pop()
		if gp == nil {
			break
		}
		emit(gp)
	}
	return k
}
