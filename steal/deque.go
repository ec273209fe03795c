package steal

import (
	"math"
	"math/bits"
	"sync/atomic"

	"github.com/usched/usched/asm"
)

// minCapacity is the smallest ring NewDeque builds: smaller rings would grow
// on almost every burst of spawns.
const minCapacity = 32

// maxStealHalfLosses bounds how many lost races StealHalf tolerates before
// giving up, so a thief cannot spin against a busy owner or other thieves.
const maxStealHalfLosses = 4

// Deque is a growable Chase-Lev work-stealing deque of *T. The zero value is
// NOT usable; use NewDeque.
//
// One goroutine, the owner, calls PushBottom, PushBottomN, PopBottom,
// PopTop and PopTopN; any goroutine may call Steal, Len and Empty, and
// StealHalf (see its doc).
// Every pushed item is returned exactly once. See the package doc for the
// protocol and its memory-ordering argument.
//
// Memory: the ring never shrinks, and a taken item stays referenced by its
// slot until a later push reuses the slot, so up to a ring's worth of
// stale items stay reachable. Slots are not cleared on take: thieves must
// not write slots (the owner may already have reused one), and clearing on
// the owner's pops cost an XCHG on amd64 when slots were atomic (measured:
// about 6 ns on a 30 ns push/pop pair; slots are plain outside race builds
// now, and clearing was not measured again). Items should therefore be
// small descriptors that drop their payload when done (a finished G drops
// its closure), not the payload itself.
type Deque[T any] struct {
	_ cacheLinePad // keep top off the line of whatever precedes the Deque

	// top is the index of the oldest item. Any goroutine may CAS it forward
	// (thieves, and the owner for the last item or PopTop); it never moves
	// back. It has a cache line to itself because thieves write it while the
	// owner writes bottom.
	top atomic.Int64
	_   [cacheLineSize - 8]byte

	// bottom is one past the index of the newest item. Only the owner
	// writes it; thieves read it with atomic.LoadInt64. It is a plain
	// int64, not an atomic.Int64, so that a push can publish it with a
	// release store (asm.StoreRelease) instead of an XCHG. It is 8-byte
	// aligned on every architecture: top's atomic.Int64 gives the struct
	// 8-byte alignment, and bottom's offset is a multiple of the line.
	bottom int64

	// ring holds the items at index&mask. Only the owner stores it (on
	// growth); thieves load it after bottom. It shares bottom's line: both
	// are written by the owner and read together by thieves.
	ring atomic.Pointer[ring[T]]
	_    [cacheLineSize - 16]byte
}

// ring is a power-of-two circular array of slots. Its size never changes;
// growth replaces the whole ring.
type ring[T any] struct {
	mask  int64     // len(slots)-1
	slots []slot[T] // plain or atomic by build: see slot_norace.go
}

func newRing[T any](size int) *ring[T] {
	return &ring[T]{mask: int64(size - 1), slots: make([]slot[T], size)}
}

// NewDeque returns an empty deque whose ring holds capacity items before it
// first grows. capacity is rounded up to a power of two, minimum 32.
func NewDeque[T any](capacity int) *Deque[T] {
	size := minCapacity
	if capacity > minCapacity {
		size = 1 << bits.Len(uint(capacity-1))
	}
	d := new(Deque[T])
	d.ring.Store(newRing[T](size)) // published to thieves by the go statement or channel that shares d
	return d
}

// PushBottom adds x at the bottom. Owner only. x must not be nil (nil is
// how the deque says "empty"); PushBottom panics if it is. When the ring is
// full it grows by doubling, which allocates; otherwise it allocates nothing.
func (d *Deque[T]) PushBottom(x *T) {
	if x == nil {
		panic("steal: PushBottom of nil")
	}
	b := d.bottom      // owner is the only writer: this is our own last store
	t := d.top.Load()  // acquire: pairs with a thief's CAS on top, so its read of slot t precedes our reuse of that slot
	r := d.ring.Load() // owner is the only writer
	if b-t > r.mask {
		r = d.grow(r, t, b)
	}
	r.slots[b&r.mask].store(x)       // published by the bottom store below
	asm.StoreRelease(&d.bottom, b+1) // release: a thief that loads bottom > b sees slot b (and a grown ring)
}

// PushBottomN pushes xs at the bottom in order (xs[len-1] ends newest)
// with one bottom store for all of them, where PushBottom would make one
// each. Owner only.
func (d *Deque[T]) PushBottomN(xs []*T) {
	n := int64(len(xs))
	if n == 0 {
		return
	}
	b := d.bottom      // own last store
	t := d.top.Load()  // acquire, as in PushBottom
	r := d.ring.Load() // own last store
	for b+n-t > r.mask+1 {
		r = d.grow(r, t, b)
	}
	for i, x := range xs {
		if x == nil {
			panic("steal: PushBottomN of nil")
		}
		r.slots[(b+int64(i))&r.mask].store(x)
	}
	asm.StoreRelease(&d.bottom, b+n) // release: publishes every slot written above
}

// grow replaces the full ring r, holding [t, b), by one twice its size.
// Kept out of line so that PushBottom stays small.
//
//go:noinline
func (d *Deque[T]) grow(r *ring[T], t, b int64) *ring[T] {
	nr := newRing[T](2 * len(r.slots))
	for i := t; i < b; i++ {
		// Thieves may take some of these meanwhile; copying a taken item is
		// harmless, as only indices >= top are ever returned.
		nr.slots[i&nr.mask].store(r.slots[i&r.mask].load())
	}
	// Before the store of bottom in PushBottom: a thief that sees the new
	// bottom also sees this ring. The old ring is left to the GC; see
	// "Design: growth" in the package doc for why thieves still reading it
	// are safe.
	d.ring.Store(nr)
	return nr
}

// PopBottom removes and returns the newest item (LIFO), or nil if d is
// empty. Owner only. It uses a CAS only when it races thieves for the last
// item.
func (d *Deque[T]) PopBottom() *T {
	b := d.bottom - 1  // own last store
	r := d.ring.Load() // own last store
	// Claim index b, then read top. Both are SC, so the store precedes the
	// load in the SC order: this is the fence(seq_cst) of the C11 version,
	// pairing with the top-then-bottom loads in Steal.
	atomic.StoreInt64(&d.bottom, b)
	t := d.top.Load()
	if t > b {
		// Empty: undo the claim. No thief took anything on its account,
		// since a thief that saw bottom == b found t >= b and backed off.
		atomic.StoreInt64(&d.bottom, b+1)
		return nil
	}
	x := r.slots[b&r.mask].load() // ours unless t == b, where the CAS below decides
	if t == b {
		// Last item: thieves may be claiming it through top. The CAS decides.
		if !d.top.CompareAndSwap(t, t+1) {
			x = nil // a thief won it
		}
		atomic.StoreInt64(&d.bottom, b+1) // top is now b+1 either way: the deque is empty
		return x
	}
	// Not the last item: top < b was read after our claim, so no thief can
	// win index b. The slot is not cleared; see the Deque doc.
	return x
}

// PopTop removes and returns the oldest item (FIFO), or nil if d is empty.
// Owner only; for policies that run the local queue in FIFO order. It races
// thieves with the same CAS as Steal and retries when it loses, which
// happens only when a thief made progress, so it is lock-free.
func (d *Deque[T]) PopTop() *T {
	for {
		t := d.top.Load() // as in Steal
		b := d.bottom     // own last store
		if t >= b {
			return nil
		}
		r := d.ring.Load() // own last store
		x := r.slots[t&r.mask].load()
		if d.top.CompareAndSwap(t, t+1) { // linearizes the take against thieves
			return x
		}
	}
}

// PopTopN removes up to max of the oldest items with one CAS on top and
// passes them to fn, oldest first; it returns how many it removed. Owner
// only; fn must not push to d. It is how the owner moves a batch out of an
// overlong deque: PopTop in a loop costs one CAS per item.
//
// One CAS for a batch is sound here, unlike in a thief (see the package
// doc, design 3), because the taker is the owner: bottom cannot move while
// it runs, so the items in [t, t+k) with t+k <= bottom can only be lost to
// thieves, and every thief claims an index by moving top, which makes the
// CAS from t fail. A failed CAS means thieves made progress; retry with the
// new top.
func (d *Deque[T]) PopTopN(max int, fn func(*T)) int {
	for {
		t := d.top.Load() // as in Steal
		b := d.bottom     // own last store
		k := min(b-t, int64(max))
		if k <= 0 {
			return 0
		}
		if !d.top.CompareAndSwap(t, t+k) { // claims [t, t+k) against thieves
			continue
		}
		// The slots of [t, t+k) are ours now and only the owner (this
		// goroutine) writes slots, so they hold the items pushed there.
		r := d.ring.Load() // own last store
		for i := t; i < t+k; i++ {
			fn(r.slots[i&r.mask].load())
		}
		return int(k)
	}
}

// Steal removes and returns the oldest item. Any goroutine may call it.
// It returns x != nil on success; x == nil && retry when it lost a race for
// an item to the owner or another thief (the caller may try again); and
// x == nil && !retry when d looked empty.
func (d *Deque[T]) Steal() (x *T, retry bool) {
	t := d.top.Load()                // acquire; SC with the bottom load below: the fence(seq_cst) pairing with PopBottom
	b := atomic.LoadInt64(&d.bottom) // acquire: pairs with PushBottom's bottom store, so slot t is visible
	if t >= b {
		return nil, false
	}
	r := d.ring.Load() // after the bottom load: at least as new as the ring slot t was pushed into
	// A racy read: if the owner or another thief took t and the owner reused
	// the slot, the CAS below fails and x is dropped.
	x = r.slots[t&r.mask].load()
	if !d.top.CompareAndSwap(t, t+1) { // seq_cst: decides races with other thieves and the owner's last-item CAS
		return nil, true
	}
	if x == nil {
		// A won index must hold the item pushed at it; nil means the
		// protocol is broken, and returning it would lose an item.
		panic("steal: Steal won an empty slot")
	}
	return x, false
}

// StealHalf moves up to ceil(n/2) items, where n is d's length as Len
// reports it when StealHalf starts, from d's top to dst's bottom, and
// returns how many it moved. It may be called by any goroutine except d's
// owner, and the caller must own dst (it pushes into dst; dst may grow). It
// panics if dst == d.
//
// Each item is taken with its own Steal (one CAS per item; the package doc
// explains why one CAS for the whole batch would be unsound). The items land
// in dst in the order they left d's top, so the oldest stolen item is the
// nearest to dst's top: thieves of dst and PopTop see them in d's FIFO
// order, PopBottom sees the newest first. It stops at the first empty
// observation and after a few lost races.
func (d *Deque[T]) StealHalf(dst *Deque[T]) (n int) {
	return d.StealHalfMax(dst, math.MaxInt)
}

// StealHalfMax is StealHalf taking at most max items: for a deque that can
// hold a large pile of work that two thieves would otherwise pass back and
// forth in halves.
func (d *Deque[T]) StealHalfMax(dst *Deque[T], max int) (n int) {
	if dst == d {
		panic("steal: StealHalf into the source deque")
	}
	t := d.top.Load()
	b := atomic.LoadInt64(&d.bottom)
	want := min((b-t+1)/2, int64(max)) // ceil; <= 0 when d looked empty
	losses := 0
	for int64(n) < want {
		x, retry := d.Steal()
		if x == nil {
			if !retry {
				break // d ran dry: the owner or other thieves took the rest
			}
			losses++
			if losses > maxStealHalfLosses {
				break
			}
			continue
		}
		dst.PushBottom(x)
		n++
	}
	return n
}

// Len returns the number of items in d. Any goroutine may call it. It is a
// racy snapshot, never negative: top is loaded before bottom, so the answer
// is at least the true length at the moment bottom was read (it may still
// count items stolen between the two loads), and during a PopBottom it may
// already exclude the item being popped.
func (d *Deque[T]) Len() int {
	t := d.top.Load()
	b := atomic.LoadInt64(&d.bottom)
	if b <= t {
		return 0 // PopBottom briefly sets bottom to top-1 on an empty deque
	}
	return int(b - t)
}

// Empty reports whether d looked empty. Any goroutine may call it.
//
// A true answer means that at some instant during the call no item was
// available to thieves: d was empty, or its only item was being taken by
// the owner's PopBottom. Called by the owner, true is exact, and stays true
// until the owner pushes. A false answer may be stale by the time it
// returns.
func (d *Deque[T]) Empty() bool {
	t := d.top.Load()                // first: top only grows, so top >= t when bottom is read
	b := atomic.LoadInt64(&d.bottom) // so t >= b implies top >= bottom at this instant
	return t >= b
}
