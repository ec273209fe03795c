// Package preempt watches how long each M's current G has run and asks it
// to yield when it overruns its quantum: the shared M table, the eBPF and
// sysmon watchers, and the signal relay that escalates a G that does not
// poll.
//
// It is an implementation detail of usched; no compatibility promise.
// It never imports package m: it reports to m through the table (the
// preempt word each G polls) and through the Escalate callback.
//
// # How a G is preempted
//
// Go cannot switch stacks in a signal handler, so preemption has two
// layers (DESIGN.md "Preemption"):
//
//  1. Flag. Each M bumps the Seq of its slot when it starts or resumes a
//     G. The watcher samples every watched slot once per quantum; when a
//     slot's Seq has not changed for one whole sample period, the G has run
//     at least a quantum, and the watcher sets the slot's preempt word to
//     that Seq. G.Check (one load and a branch) and every runtime call
//     poll the word and yield.
//  2. Escalate. When the Seq has still not changed one period later, the G
//     is not polling (a tight loop, or a call that blocks). The eBPF
//     watcher then sends Config.Signal to that M's own thread
//     (bpf_send_signal_thread, only when the M is the current task); Go
//     cannot run our code in a handler, so the signal only wakes the relay
//     goroutine, which finds the escalated slots (Signaled != Handled) and
//     calls Escalate. The sysmon watcher is Go code already and calls
//     Escalate directly. Package m then hands the overrunning M's P to a
//     spare M on the same CPU.
//
// # Why a switch counter and not a timestamp
//
// A timestamp per G (Seq = start time) would let BPF arm a deadline timer
// and detect an overrun within a few µs, but it costs a clock read per G:
// 50 ns for the vDSO clock and 8 ns for RDTSC here, against a tiny G's
// 80 ns, and the issue allows 10% on that path. A counter costs a plain
// store. The price is precision: a G that started between two samples is
// flagged after one to two quanta of its run, never before one.
//
// # Sources
//
//   - eBPF (preferred; needs CAP_BPF and CAP_PERFMON): one task-clock perf
//     event per M thread, sampling every quantum of that thread's CPU time,
//     runs the program in bpf/quantum.bpf.c on the M's CPU. It ticks only
//     while the M runs, so idle and parked Ms cost nothing, and the signal
//     always reaches the M itself. The table is the program's
//     BPF_F_MMAPABLE array map, mapped into the process.
//   - sysmon (fallback, pure Go): a locked thread that sleeps a quantum
//     with raw nanosleep and timer slack 1 (time.Sleep cannot go below
//     about 1 ms), applies the same rule to every slot, and backs off to
//     sysmonIdleMax while no M runs a G. It uses wall time, eBPF uses the
//     M's CPU time.
//
// # Invariants
//
//   - Each cache line of a Slot has one writer (see Slot); the M writes Seq
//     with a plain store and readers load it atomically.
//   - The preempt word is only ever set to the Seq of the G it flags, so a
//     stale flag (set just as its G ended) is recognised by comparing it
//     with the current Seq, and ignored.
//   - Escalate is called at most once per escalated Seq (Handled), from one
//     goroutine at a time.
//   - The table outlives every M: Close unmaps it only after the Ms have
//     stopped touching it.
package preempt
