//go:build race

package steal

import "sync/atomic"

// Under the race detector the deque's relaxed and release accesses (see
// relaxed_norace.go) are sync/atomic operations: the detector reports
// every racy plain access, including the deque's deliberate racy slot
// reads, and does not see the assembly release store, so it would miss
// the happens-before edge that bottom's store gives a thief. Race builds
// pay for atomics to keep the rest of the program checkable.

// slot is one cell of a ring: an atomic pointer.
type slot[T any] struct{ p atomic.Pointer[T] }

func (s *slot[T]) load() *T   { return s.p.Load() }
func (s *slot[T]) store(x *T) { s.p.Store(x) }

// publishBottom stores the owner's new bottom after a push.
func publishBottom(bottom *int64, b int64) { atomic.StoreInt64(bottom, b) }
