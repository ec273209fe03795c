//go:build !race

package steal

// slot is one cell of a ring: a plain pointer outside race-detector
// builds. Why plain racy accesses are sound here, and what they save, is
// in the package doc ("Design: memory ordering").
type slot[T any] struct{ p *T }

func (s *slot[T]) load() *T   { return s.p }
func (s *slot[T]) store(x *T) { s.p = x }
