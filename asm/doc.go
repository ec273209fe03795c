// Package asm holds the few machine instructions usched needs that Go does
// not expose: a spin-wait hint ([Pause]), a cheap cycle counter ([Cycles],
// [CyclesPerNanosecond]), the number of the CPU the calling thread runs
// on ([CPU]) and a store with release ordering only ([StoreRelease]).
//
// It is an implementation detail of usched; no compatibility promise.
//
// asm is the leaf of usched's import graph: it imports nothing from the
// module, so every other package may use it (see deps_test.go at the
// module root).
//
// # Implementations
//
// amd64 and arm64 have assembly (asm_amd64.s, asm_arm64.s); every other
// architecture gets the portable Go code in asm_generic.go. Code that
// depends on the operating system, such as asking Linux which CPU we are on,
// lives in *_linux.go and *_other.go, so that the package builds for every
// GOOS.
//
//	             amd64                      arm64        other
//	Pause        PAUSE                      YIELD        nothing
//	Cycles       RDTSC                      CNTVCT_EL0   ns since package init
//	CPU (Linux)  RDPID, else RDTSCP,        getcpu(2)    getcpu(2)
//	             else getcpu(2)
//	CPU (other)  -1                         -1           -1
//	StoreRelease MOV (x86 is TSO)           STLR         sync/atomic store
//	             (race builds: a sync/atomic store on every architecture)
//
// # Invariants
//
// Every function in this package:
//   - is safe to call from any goroutine, at any time, concurrently;
//   - never blocks: it neither parks the goroutine nor makes a blocking
//     system call (getcpu(2) returns at once);
//   - never allocates.
//
// The one exception is the first call to [CyclesPerNanosecond], which spins
// for about 2 ms to calibrate; calls that arrive during that time wait for
// it. Later calls only load the cached value.
//
// The results are hints, not facts to build correctness on: the thread may
// migrate to another CPU right after [CPU] returns, and [Cycles] read on two
// CPUs is comparable only when the hardware counter is synchronised across
// CPUs (an invariant TSC on amd64, which Linux checks before it uses the TSC
// as its clock; always on arm64).
package asm
