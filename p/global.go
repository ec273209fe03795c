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
	n  atomic.Int64 // Gs pushed and not yet popped; may run ahead of q (incremented before the push)
	q  MPSC         // consumer side protected by mu; its tail shares n's line (both producer-written)
	mu sync.Mutex   // serialises consumers of q; after q's consumer half, off the producers' line
}

// Init makes the queue empty.
func (q *Global) Init() { q.q.Init() }

// Put appends gp. Any thread.
func (q *Global) Put(gp *g.G) {
	q.n.Add(1) // before the push: a consumer that sees n > 0 may find the push in progress and retry
	q.q.Push(gp)
}

// PutChain appends n Gs linked first..last (see MPSC.PushChain). Any
// thread.
func (q *Global) PutChain(first, last *g.G, n int) {
	q.n.Add(int64(n))
	q.q.PushChain(first, last)
}

// Len reports the number of Gs submitted and not yet taken; a push in
// progress counts. Any thread.
func (q *Global) Len() int64 { return q.n.Load() }

// Get takes up to max Gs: the first is returned, the rest are passed to
// spill in order (the caller pushes them into its deque); taken counts
// them all. It returns nil when the queue is empty, a push is in progress,
// or another consumer holds the queue. Any thread.
func (q *Global) Get(max int, spill func(*g.G)) (first *g.G, taken int) {
	if q.n.Load() == 0 || !q.mu.TryLock() {
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
	q.mu.Unlock()
	if taken > 0 {
		q.n.Add(-int64(taken))
	}
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
	q.mu.Unlock()
	q.n.Add(-taken)
}
