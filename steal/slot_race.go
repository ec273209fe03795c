//go:build race

package steal

import "sync/atomic"

// slot is one cell of a ring. Under the race detector it is atomic: the
// detector reports every racy plain access, including the deque's
// deliberate racy slot reads (see slot_norace.go), so race builds pay for
// atomic slots to keep the rest of the program checkable.
type slot[T any] struct{ p atomic.Pointer[T] }

func (s *slot[T]) load() *T   { return s.p.Load() }
func (s *slot[T]) store(x *T) { s.p.Store(x) }
