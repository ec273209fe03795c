package steal

import "unsafe"

// Export guts for testing.

// Cap returns the size of d's current ring. Owner only.
func (d *Deque[T]) Cap() int { return len(d.ring.Load().slots) }

// Field offsets, to check that top and bottom sit on different cache lines.
var (
	TopOffset     = unsafe.Offsetof(Deque[int]{}.top)
	BottomOffset  = unsafe.Offsetof(Deque[int]{}.bottom)
	DequeSize     = unsafe.Sizeof(Deque[int]{})
	CacheLineSize = uintptr(cacheLineSize)
)
