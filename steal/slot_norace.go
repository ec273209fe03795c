//go:build !race

package steal

// slot is one cell of a ring: a plain pointer outside race-detector
// builds. The deque's thieves read slots racily on purpose (the package
// doc, "Design: memory ordering"); a pointer is one machine word, and the
// Go memory model guarantees that a racy read of a word observes some
// write of it, never a torn value, so a plain access is sound. Ordering
// comes from the atomics on top and bottom around it. Making the owner's
// slot store atomic would cost an XCHG on amd64 on every push.
type slot[T any] struct{ p *T }

func (s *slot[T]) load() *T   { return s.p }
func (s *slot[T]) store(x *T) { s.p = x }
