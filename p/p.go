package p

import (
	"slices"
	"sync/atomic"

	"github.com/usched/usched/g"
	"github.com/usched/usched/steal"
)

// slabSize is how many G descriptors NewG allocates at once when its free
// list is empty: one allocation per slab instead of per G. A spawn storm
// keeps every queued G alive, so the allocator and the GC's per-object
// work were a large part of a tiny G's cost. 85 Gs of 48 bytes fill 4080
// bytes of a 4096-byte size class.
const slabSize = 85

// freeListMax bounds a P's free list of G descriptors. A spawn storm on one
// P and completion on another would otherwise move every descriptor to the
// completing P; past the bound they are left to the GC.
const freeListMax = 1024

// P is a processor: the right to run Gs, held by exactly one M at a time.
//
// Access rules: runnext and deque are shared with thieves (their own
// protocols); everything else is owner-only (the M holding the P).
//
// Layout: the fields other threads read (ID, deque, pool: fixed at
// creation) share a cache line with nothing the owner writes, and runnext
// has a line to itself. When ID and deque shared runnext's line and the
// first counters', every steal attempt's read of victim.deque took that
// line from the owner, whose next Swap or counter increment then waited
// for it: on 16 CPUs runnext's Swap alone was 6% of fib's profile.
type P struct {
	// ID is the index of this P, fixed at creation.
	ID int

	// deque holds the unstarted Gs of this P. The owner pushes and pops at
	// the bottom (LIFO); thieves steal from the top (oldest first). The
	// pointer is fixed at creation; the Deque pads its own fields.
	deque *steal.Deque[g.G]

	pool *FreePool // shared with the other Ps of the runtime; fixed
	_    [64 - 24]byte

	// runnext is the G to run next, ahead of the deque: the newest child
	// spawned on this P, for locality. Only unstarted Gs. The owner
	// installs with Swap; thieves load it, and may CAS a non-nil value to
	// nil, only after finding the deque empty.
	runnext atomic.Pointer[g.G]
	_       [64 - 8]byte

	// C holds the counters; Latency the sampled scheduling latency
	// (runnable to running).
	C       Counters
	Latency Histogram

	free   []*g.G // owner-only: recycled G descriptors
	slab   []g.G  // owner-only: fresh descriptors, allocated slabSize at a time
	nextID uint64 // owner-only: ID sequence
}

// New returns P number id of procs, exchanging G descriptors with pool.
func New(id, procs int, pool *FreePool) *P {
	pp := &P{ID: id, deque: steal.NewDeque[g.G](256), pool: pool}
	pp.C.init(procs)
	return pp
}

// NewG returns a G descriptor for a spawn on this P, recycled when one is
// free, and the P's spawn sequence number (for sampling). Owner only.
func (pp *P) NewG() (*g.G, uint64) {
	pp.nextID++
	id := pp.nextID
	if n := len(pp.free); n > 0 {
		gp := pp.free[n-1]
		pp.free = pp.free[:n-1]
		return gp, id
	}
	if b := pp.pool.get(); b != nil {
		gp := b[len(b)-1]
		pp.free = b[:len(b)-1]
		return gp, id
	}
	if len(pp.slab) == 0 {
		pp.slab = make([]g.G, slabSize)
	}
	gp := &pp.slab[0]
	pp.slab = pp.slab[1:]
	return gp, id
}

// FreeG recycles a finished G descriptor. The caller guarantees that no
// queue, group or user code still refers to gp. Owner only.
func (pp *P) FreeG(gp *g.G) {
	g.Release(gp)
	if len(pp.free) == freeListMax {
		// Hand a batch to the pool, where a P that spawns more than it
		// runs will find it.
		keep := freeListMax - freeBatch
		pp.pool.put(slices.Clone(pp.free[keep:]))
		clear(pp.free[keep:])
		pp.free = pp.free[:keep]
	}
	pp.free = append(pp.free, gp)
}

// RunqPut makes gp the next G to run on this P; the previous runnext, if
// any, is pushed to the bottom of the deque, where thieves can take it.
// Owner only.
func (pp *P) RunqPut(gp *g.G) {
	if old := pp.runnext.Swap(gp); old != nil {
		pp.deque.PushBottom(old)
	}
}

// RunqPush pushes gp to the bottom of the deque without touching runnext.
// Owner only.
func (pp *P) RunqPush(gp *g.G) { pp.deque.PushBottom(gp) }

// RunqPushN pushes gs to the bottom of the deque in order (the last ends
// newest) with one publication for all, without touching runnext. Owner
// only.
func (pp *P) RunqPushN(gs []*g.G) { pp.deque.PushBottomN(gs) }

// RunqGet takes runnext, or else the newest G of the deque. Owner only.
func (pp *P) RunqGet() *g.G {
	if pp.runnext.Load() != nil {
		if gp := pp.runnext.Swap(nil); gp != nil {
			return gp
		}
	}
	return pp.deque.PopBottom()
}

// RunqEmpty reports whether the P had no unstarted G at the moment of the
// loads. It may return false spuriously under concurrent steals, never
// true while a G is queued and not being taken. Any thread.
func (pp *P) RunqEmpty() bool {
	return pp.deque.Empty() && pp.runnext.Load() == nil // runnext last: see P
}

// RunqTakeN removes up to max of the oldest unstarted Gs of the deque (its
// top) with one CAS, passes them to fn oldest first, and returns how many.
// Owner only: used to move work out of an overlong deque.
func (pp *P) RunqTakeN(max int, fn func(*g.G)) int { return pp.deque.PopTopN(max, fn) }

// RunqLen returns a racy snapshot of the number of queued unstarted Gs.
// Any thread.
func (pp *P) RunqLen() int {
	n := pp.deque.Len()
	if pp.runnext.Load() != nil {
		n++
	}
	return n
}

// StealFrom moves about half of victim's deque into this P's deque and
// returns the number moved. If the deque was empty it tries victim's
// runnext. The caller then pops from its own deque. Owner of pp only;
// victim is any other P.
func (pp *P) StealFrom(victim *P) int {
	if n := victim.deque.StealHalf(pp.deque); n > 0 {
		return n
	}
	if gp := victim.runnext.Load(); gp != nil && victim.runnext.CompareAndSwap(gp, nil) {
		pp.deque.PushBottom(gp)
		return 1
	}
	return 0
}
