// Package usched is a multi-core, work-stealing, user-level task runtime
// with the Go runtime's M:P:G layout, for programs that run millions of
// small tasks and want control that goroutines do not give: pinned
// threads, a scheduler whose every decision is counted (steal rates, queue
// lengths, scheduling latency), and, in later versions, microsecond
// preemption quanta, priorities and policies.
//
//   - A G is a task: a func(*G). An unstarted G is a 48-byte descriptor
//     with no stack; it runs inline on a scheduler stack unless it
//     suspends (Yield, Group.Wait), and only then holds a stack of its
//     own, like a goroutine.
//   - A P owns a lock-free Chase-Lev deque of unstarted Gs; a P that runs
//     dry steals half of another P's deque.
//   - An M is an OS thread, locked and pinned to a CPU, holding one P.
//
// Use usched instead of goroutines when tasks are many and small (tens of
// nanoseconds of overhead instead of hundreds), for fork-join parallelism
// (Group), or when you need to see and steer how work is spread over
// cores. Use goroutines for blocking I/O and long-lived concurrent
// activities: in this version a G that blocks in a system call blocks its
// M and P. Use a worker pool when you need to bound concurrency of
// independent jobs; pools deadlock on nested fork-join, usched does not.
//
// # Rules for Gs
//
//   - A *G is valid only while its function runs; the descriptor is
//     recycled afterwards. Call its methods only from that G.
//   - A G must not call runtime.LockOSThread or runtime.Goexit (so no
//     t.Fatal or t.FailNow inside a G: report through a variable or a
//     panic instead; Goexit would end the M's scheduler coroutine), and
//     must not block for long in system calls or on Go channels or mutexes
//     (it would hold its M and P). Runtime.Wait and Runtime.Close return ErrInG when called from a
//     G; a G waits for other Gs with a Group.
//   - Runtime.Go may be called from anywhere, including from a G.
//
// # Panics
//
// A G that panics does not crash the program. The runtime recovers the
// panic, keeps running other Gs, and reports a *PanicError (value and
// stack) to whoever waits for that G: Group.Wait for a Group's child,
// Runtime.Wait (or Close) for any other G. We report rather than re-panic
// because one failing task among a million should not take the others (and
// the scheduler's thread) down, and because a re-panic in a waiter would
// lose the failing G's own stack; errgroup and conc weighed the same
// choice differently for goroutines, where a crash costs less.
//
// # GOMAXPROCS
//
// Each M is a goroutine that holds one of Go's Ps while it runs. So that
// Go's own goroutines (the garbage collector, timers, your goroutines)
// always have a P of their own and Go does not time-slice the Ms, New
// raises GOMAXPROCS to at least Procs+1 (summed over open runtimes, plus
// one), and the last Close restores it. Stats reports the value in force.
//
// # Accounting
//
// Nothing is lost: every G submitted with Go or spawned with G.Go or
// Group.Go either runs exactly once or is reported as not run (a
// *NotRunError, after Close).
package usched
