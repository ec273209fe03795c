// Package usched is a multi-core, work-stealing, user-level task runtime
// with the Go runtime's M:P:G layout, for programs that run millions of
// small tasks and want control that goroutines do not give: pinned
// threads, a scheduler whose every decision is counted (steal rates, queue
// lengths, scheduling latency), preemption quanta down to tens of
// microseconds, and a choice of scheduling policy (work stealing,
// priority classes, or a Shinjuku-style centralized queue; see Policy).
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
// (Group, or G.Join for a binary split, which allocates no Group), or when
// you need to see and steer how work is spread over cores. Use goroutines
// for blocking I/O and long-lived concurrent activities: a G that blocks
// holds its M's thread (see Blocking). Use a worker pool when you need to
// bound concurrency of independent jobs; pools deadlock on nested
// fork-join, usched does not.
//
// # Rules for Gs
//
//   - A *G is valid only while its function runs; the descriptor is
//     recycled afterwards. Call its methods only from that G.
//   - A G must not call runtime.LockOSThread or runtime.Goexit (so no
//     t.Fatal or t.FailNow inside a G: report through a variable or a
//     panic instead; Goexit would end the M's scheduler coroutine), and
//     should not block in system calls or on Go channels or mutexes
//     directly: see Blocking for the hooked calls and G.Await. Runtime.Wait and
//     Runtime.Close return ErrInG when called from a G; a G waits for
//     other Gs with a Group.
//   - A long-running G should call G.Check in its loops: it then yields
//     when it has run its quantum, at a point it chose.
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
// # Preemption
//
// Go cannot switch a goroutine's stack from a signal handler, so a G is
// preempted in two steps. A watcher samples every busy M once per
// Config.Quantum (default DefaultQuantum) and flags a G that has run a
// whole sample period; the G's next poll (G.Check, or any runtime call
// such as G.Go or Group.Wait) then yields, behind the other runnable Gs of
// its P. A G that still has not polled one period later is escalated: its
// P's CPU is handed to a spare M (at most Config.MaxSpareMs of them),
// which takes over the P's queued Gs, while the overrunning thread keeps
// running its G at nice 19 until the G polls or ends.
//
// The watcher is eBPF where the process has CAP_BPF and CAP_PERFMON: a
// task-clock perf event per M, so idle Ms cost nothing, whose program
// flags the G and escalates by sending Config.Signal (SIGUSR2) to the M's
// own thread. Elsewhere it is sysmon, a pure-Go thread sleeping one
// quantum at a time. Stats.Preemption says which is in force and why.
// The sampling costs a timer interrupt per quantum of a busy M's CPU time
// (about 7 µs in a VM): keep the quantum at 100 µs or more unless tail
// latency matters more than throughput.
//
// # Blocking
//
// A G that blocks holds its M's thread: only that thread can resume the G
// (its stack is a coroutine of that thread), so the runtime moves the rest
// of the P's work instead, to a spare M pinned to the same CPU.
//
//   - Hooked calls (Read, Write, Accept, Connect, Nanosleep, Syscall):
//     the M publishes that it entered a call (a cycle-counter read and a
//     store); if the call blocks, the hand-off happens as soon as the
//     watcher sees it (eBPF: when the thread switches out; sysmon: at its
//     next tick) and the M takes its CPU back when the call returns.
//   - Unhooked blocking (a raw system call, Go's own file or network I/O,
//     a sync.Mutex, time.Sleep, a page fault): with eBPF the sched_switch
//     reporter sees the thread block. A thread blocked in a system call
//     other than futex is handed off at once; one waiting in futex (Go's
//     own parking: a GC stop-the-world, a Go channel, a sync.Mutex,
//     time.Sleep) or in a page fault only once it has stayed blocked
//     10 ms, since Go's own short pauses must not move work. Without eBPF
//     only the watcher's escalation notices, after two quanta.
//   - Each blocked G holds a thread and each hand-off a spare M:
//     Config.MaxSpareMs bounds how many Ms can be blocked before the rest
//     of a P's work waits. For waits that need no thread, use G.Sleep,
//     Mutex, WaitGroup, Group, or G.Await (any Go API, on a goroutine).
//   - A G must never call runtime.LockOSThread: its thread is the M's.
//
// # GOMAXPROCS
//
// Each M is a goroutine that holds one of Go's Ps while it runs, spare Ms
// included. So that Go's own goroutines (the garbage collector, timers,
// your goroutines) always have a P of their own and Go does not time-slice
// the Ms, New raises GOMAXPROCS to at least Procs+1 (summed over open
// runtimes, plus one). While spare Ms serve, their share, min(MaxSpareMs,
// Procs), is added too: the first hand-off after a quiet spell raises
// GOMAXPROCS before the spare starts (a stop of the world), and it comes
// back down 100 ms after the last spare retired, unless the program has
// set another value meanwhile. The spares' Go Ps are not held from New on
// because every Go P adds to the collector's mark workers (dedicated ones
// scale with GOMAXPROCS, idle ones run on idle Ps), which take CPU time
// from the Ms. Close takes its runtime's share out the same way, and the
// last Close restores the value found, unless the program has set another
// value meanwhile: that one stays. Setting GOMAXPROCS turns off Go's
// automatic updates of it from the CPU limit (Go 1.25 on), and restoring
// a value is setting it; a program that wants the updates back calls
// runtime.SetDefaultGOMAXPROCS after its last Close.
// Stats reports the value in force.
//
// # Accounting
//
// Nothing is lost: every G submitted with Go or spawned with G.Go or
// Group.Go either runs exactly once or is reported as not run (a
// *NotRunError, after Close).
//
// # Platforms
//
// usched runs on Linux; amd64 and arm64 have assembly fast paths, other
// architectures portable code. On other Unix systems the packages build,
// for development only and untested there: Ms cannot be pinned (New
// refuses the default PinCPU; use PinNone) and preemption uses the
// pure-Go watcher. Windows is not supported.
package usched
