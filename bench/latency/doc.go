// Package latency is the tail-latency experiment of usched's preemption
// work: an open-loop Poisson load of mostly short requests with a few long
// ones, served by four executors on one CPU, with the short requests'
// latency percentiles compared across executors and offered loads.
//
// It is part of the bench module, not of usched, so that its peers (pebble
// for workload B, gonum/plot for the plots) never enter usched's go.mod.
// Linux only: it pins threads and shares memory through a memfd.
//
// # The arrangement
//
// On a 2-CPU machine the load generator and the executor must not share a
// CPU: when they do, the generator's own scheduling (a 4 ms kernel tick
// here) dominates every executor's tail and hides the difference between
// them. So each measurement point runs in two processes:
//
//   - The parent (the driver) is pinned, every one of its threads, to the
//     generator CPU (Config.GenCPU, CPU 1 by default). Its generator runs on
//     a locked OS thread that busy-waits on CLOCK_MONOTONIC until each
//     request's intended arrival time and then pushes (id, kind, intended
//     time) into a single-producer single-consumer ring in shared memory
//     (a memfd both processes map).
//   - The child (the same binary, started again with the environment
//     variable ChildEnv holding its spec) runs the executor. Every thread
//     of it is on the executor CPU (Config.ExecCPU, CPU 0): the parent forks
//     it from a locked thread whose affinity it has just set to that CPU, so
//     even the Go runtime threads that exist before main inherit it; the
//     child checks the mask of every thread before it starts. GOMAXPROCS is
//     1 for the goroutine and pool executors so that they really share one
//     CPU; usched sets its own (Procs+1), still on that one CPU.
//   - The receiver is a task of the executor itself that polls the ring:
//     a goroutine that yields with runtime.Gosched for goroutines and the
//     pool, a G that yields with G.Yield for usched. Each executor thus
//     receives in its own scheduling loop, on its own CPU, and pays only
//     its own task switch for it. executor.go says why a blocking receiver
//     goroutine on a thread of its own (the first design, submitting to
//     usched with Runtime.Go) was dropped: with two kernel threads on one
//     CPU it measured the kernel's thread switching, not the executors.
//   - Completions: the worker that finishes request id stores the monotonic
//     time in done[id], an array in the same shared memory. Both processes
//     read CLOCK_MONOTONIC (runtime.nanotime), so the parent computes each
//     latency after the child has exited as done[id] - intended[id]. This
//     is simpler than a completion ring and equally exact, and it keeps the
//     parent's CPU out of the measured path.
//
// # Other processes
//
// The machine may be shared. Before each point the driver waits (up to
// Config.QuietWait) until both CPUs are idle, and during it measures the
// CPU share the executor process and the generator thread actually got; a
// point where either got less than Config.MinShare is measured again (up to
// Config.Retries times) and the least disturbed run is kept. Each point
// records its shares, and the report marks disturbed points.
//
// # No coordinated omission
//
// A request's latency is measured from its intended arrival time, drawn in
// advance from the Poisson schedule, not from when it was pushed or
// received. A generator that falls behind (descheduled, or the ring full)
// or an executor that stops receiving (one P busy with a long request) only
// makes later requests late; their lateness is counted. A request that
// could not be pushed because the ring was full is counted as dropped, one
// that had not completed when the child gave up draining as unfinished; both
// count as infinitely late in the percentiles of all requests.
//
// # Invariants
//
//   - The ring has exactly one producer (the parent's generator thread) and
//     one consumer (the child's receiver goroutine); Producer and Consumer
//     hold each side's private cursor, so each may be used by one goroutine
//     only.
//   - done[id] is written once, by the worker that served id, and read by
//     the parent only after the child has exited.
//   - Request ids of one point are 0..N-1 in arrival order; the ring
//     delivers them in that order.
//
// The driver, cmd/latency, sweeps workloads x variants x executors x
// offered loads and writes results.md, results.json and one PNG per
// workload and variant; see Sweep.
package latency
