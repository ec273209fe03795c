// Package hook wraps the blocking system calls a G makes, so that a call
// that blocks does not stall the other Gs of the G's P.
//
// It is an implementation detail of usched; no compatibility promise. The
// root package re-exports these wrappers (usched.Read, usched.Syscall...).
//
// Each wrapper brackets the raw call with g.EnterSyscall and
// g.ExitSyscall. Entering costs a cycle-counter read and a store into the
// M's slot of the preemption table; if the call blocks, the watcher hands
// the M's queued work to a spare M pinned to the same CPU (with eBPF as
// soon as the thread switches out, with sysmon at its next tick once the
// call has lasted about 20 µs); on return the M takes its CPU back and the
// G goes on. A call that does not block costs a few nanoseconds more than
// the raw system call (BenchmarkHookOverhead).
//
// # Invariants
//
//   - Every wrapper must be called from the G passed in, on its M.
//   - Enter and exit are paired even when the call fails; the error of
//     the call is returned unchanged (EINTR is retried).
//   - The calls go through unix.Syscall (not RawSyscall), so that Go's
//     scheduler can lend the M's Go P to other goroutines meanwhile.
package hook
