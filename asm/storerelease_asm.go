//go:build (amd64 || arm64) && !race

package asm

// StoreRelease stores v at *addr with release semantics only: every load
// and store the calling goroutine made before it is visible to a thread
// that observes v with an atomic load. It is the store half of the
// runtime's internal StoreRel, which sync/atomic does not offer: an
// atomic.StoreInt64 is sequentially consistent and costs an XCHG on amd64
// (about 6 ns here, against about 1 ns for this call; see
// BenchmarkStoreRelease and bench/RESULTS-storerelease.txt). It gives no
// StoreLoad order: a load after it may be satisfied before other threads
// see v. addr must be 8-byte aligned.
//
// A plain MOV on amd64 (x86 is TSO: a store never passes an earlier load
// or store), STLR on arm64 (storerelease_*.s). The call is also a
// compiler barrier: Go does not move memory operations across a call to
// an assembly function. Race-detector builds, and other architectures,
// get atomic.StoreInt64 instead (storerelease_atomic.go): the detector
// cannot see assembly, and would miss the happens-before edge the store
// gives a reader.
//
// It takes a pointer and keeps none of it: hence //go:noescape.
//
//go:noescape
func StoreRelease(addr *int64, v int64)
