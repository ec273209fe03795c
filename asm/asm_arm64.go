package asm

// Neither assembly function takes a pointer, so neither needs
// //go:noescape.

// Pause executes one YIELD instruction: a hint that the caller is in a
// spin-wait loop. Many cores treat YIELD as a NOP, so a spin loop that
// calls Pause must still bound its iterations.
func Pause()

// Cycles returns the generic timer's virtual count (CNTVCT_EL0). Despite
// the name it does not count core cycles: it ticks at the fixed frequency
// of the system counter, often 24 MHz to 1 GHz, the same on every CPU.
// [CyclesPerNanosecond] gives the rate, which may be well below 1.
func Cycles() uint64

// CPU returns the number of the CPU the calling thread is running on, or -1
// where the operating system offers no way to ask (every OS but Linux).
// The answer may be stale by the time the caller uses it: unless the thread
// is pinned to one CPU, it may migrate at any moment.
//
// arm64 has no user-readable register that Linux fills with the CPU number
// (TPIDRRO_EL0 is not it), and no vDSO getcpu, so this is the getcpu(2)
// system call: around 100 ns or more.
func CPU() int { return getcpu() }
