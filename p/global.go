package p

import (
	"sync"
	"sync/atomic"

	"github.com/usched/usched/g"
)

// Global is the queue for Gs submitted from outside the runtime (plain
// goroutines calling Runtime.Go). Producers never take a lock: a push is
// the MPSC's exchange. Consumers (any M) serialise on a mutex with TryLock
// and take a batch at a time into their own deque, as Go's globrunqget
// does, so that one lock acquisition pays for many Gs.
type Global struct {
	pushed atomic.Int64 // Gs ever pushed; may run ahead of q (counted before the push)
	q      MPSC         // consumer side protected by mu; its tail shares pushed's line (both producer-written)
	mu     sync.Mutex   // serialises consumers of q; after q's consumer half, off the producers' line
	popped atomic.Int64 // Gs ever popped (counted after the pop); written under mu
}

// Init makes the queue empty.
func (q *Global) Init() { q.q.Init() }

// Put appends gp. Any thread.
func (q *Global) Put(gp *g.G) {
	q.pushed.Add(1) // before the push: a consumer that sees Len > 0 may find the push in progress and retry
	q.q.Push(gp)
}

// PutChain appends n Gs linked first..last (see MPSC.PushChain). Any
// thread.
func (q *Global) PutChain(first, last *g.G, n int) {
	q.pushed.Add(int64(n))
	q.q.PushChain(first, last)
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

// Get takes up to max Gs: the first is returned, the rest are passed to
// spill in order (the caller pushes them into its deque); taken counts
// them all. It returns nil when the queue is empty, a push is in progress,
// or another consumer holds the queue. Any thread.
func (q *Global) Get(max int, spill func(*g.G)) (first *g.G, taken int) {
	if q.Len() == 0 || !q.mu.TryLock() {
		return nil, 0
	}
	first = q.q.Pop()
	if first != nil {
		taken = 1
		for ; taken < max; taken++ {
			gp := q.q.Pop()
			if gp == nil {
				break
			}
			spill(gp)
		}
	}
	if taken > 0 {
		q.popped.Add(int64(taken))
	}
	q.mu.Unlock()
	return first, taken
}

// Drain removes every G that is fully pushed and passes it to fn. Used by
// Close. Any thread.
func (q *Global) Drain(fn func(*g.G)) {
	q.mu.Lock()
	var taken int64
	for gp := q.q.Pop(); gp != nil; gp = q.q.Pop() {
		fn(gp)
		taken++
	}
	q.popped.Add(taken)
	q.mu.Unlock()
}
