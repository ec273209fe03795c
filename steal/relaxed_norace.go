//go:build !race

package steal

import "github.com/usched/usched/asm"

// The accesses the Chase-Lev protocol needs no stronger than relaxed
// (slots) or release (the publishing bottom store), outside race-detector
// builds. Why they are sound, and what they save, is in the package doc
// ("Design: memory ordering").

// slot is one cell of a ring: a plain pointer.
type slot[T any] struct{ p *T }

func (s *slot[T]) load() *T   { return s.p }
func (s *slot[T]) store(x *T) { s.p = x }

// publishBottom stores the owner's new bottom after a push with release
// semantics only: a plain MOV on amd64, STLR on arm64 (asm.StoreRelease).
// Only the owner writes bottom; thieves load it atomically.
func publishBottom(bottom *int64, b int64) { asm.StoreRelease(bottom, b) }
