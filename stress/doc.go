// Package stress runs named, seeded workloads (scenarios) on a usched
// runtime and checks invariants when each is done. The tests of this
// package run every scenario; "usched stress" runs them from the command
// line. It uses only usched's public API, as a user would.
//
// A scenario creates its own runtime from Options.Config, draws its
// workload from Options.Seed before the runtime starts (so the seed
// reproduces the shape of the work, though not the interleaving), runs
// it, and returns a Result: Gs run, elapsed time, Gs per second, steals
// (from Runtime.Stats), every invariant checked with pass or fail, and a
// description of each failure.
//
// # Invariants checked after every scenario
//
//   - Every G ran exactly once. Each G has a number the workload assigns
//     when it draws its shape (not G.ID, which is recycled) and adds one
//     to its own counter when it runs; afterwards every counter must be 1.
//     A total alone would miss a G run twice and another never. After
//     Close under load, a counter may be 0, but the Gs at 0 must be
//     exactly as many as were reported not run.
//   - Nothing lost: SubmittedGs + SpawnedGs == FinishedGs + NotRunGs in
//     Stats, FinishedGs is the number of Gs the workload made, SubmittedGs
//     the number of Runtime.Go calls it made (with RejectedGs, after
//     Close), and NotRunGs and RejectedGs are 0 unless the workload closed
//     the runtime under load.
//   - Counters balance: RanGs == FinishedGs; PanickedGs is the number of
//     panics the workload made; Yields is at least the Yield calls made
//     plus Preemptions; run queues and the global queue are empty once
//     idle; Gs stolen in == Gs stolen out; each steal matrix column sums
//     to its P's StolenGs, and no P steals from itself; steals never exceed
//     steal attempts or stolen Gs.
//   - Checks inside Gs hold (each scenario's own: a Group.Wait that
//     returned nil, a G.ID unchanged across Yield or Check, subtree sizes
//     that add up after a join, a panic that came back to its waiter).
//   - After Close, no goroutine or thread of the runtime is left, and
//     GOMAXPROCS is back to its value before New. Goroutines are compared
//     by ID with those alive before New; threads by ID with the M threads
//     Stats reported (see leak.go for why not by count). Both retry for a
//     bounded time, since threads exit asynchronously.
//
// # Scenarios
//
//   - mix: the default of "usched stress": spawn storms, fork-join trees
//     and yields, in rounds submitted from outside and spawned inside.
//   - storm: a few roots spawn most Gs with G.Go while four goroutines
//     submit the rest.
//   - outside: 64 goroutines released at once submit every G.
//   - fib: fork-join fib(n) with usched.Group; the oracle is fib(n) and
//     fib(n+1) Gs per tree.
//   - uts-t1, uts-t3: Unbalanced Tree Search trees T1 and T3 with the
//     SHA-1 splittable generator, one G per node; the oracle is the
//     published node count (4,130,071 and 4,112,897).
//   - yield: groups of Gs that call G.Yield 1 to 8 times each.
//   - polling: long Gs that call G.Check in their loops, short Gs queued
//     behind them; Preemptions is reported.
//   - hogs: long Gs that never poll, short Gs queued behind them; every G
//     must finish, with or without preemption (no timing is asserted), and
//     the preemption counters are reported.
//   - sleep: every G calls G.Sleep for 0 to 5 ms, some several times;
//     each Sleep returns once, on the thread it began on and not before its
//     deadline, and Stats.Sleeps counts every Sleep. The peak memory is
//     reported.
//   - blocking: one G in ten blocks its thread in usched.Read on a pipe
//     or usched.Nanosleep, among Gs that compute, write to the pipes, use
//     usched.Mutex or usched.WaitGroup, or G.Await a Go channel; every byte
//     written is read once, the mutex-protected counter is exact, no
//     wake-up is lost, and Stats.Syscalls counts the hooked calls. The
//     hand-off counters are reported.
//   - panics: one G in 16 panics; each panic comes back exactly once, as
//     a *usched.PanicError with a stack, from Group.Wait or Runtime.Wait.
//   - close: Close under load; every G ran once or was reported not run.
//
// Options.Fault injects a fault (a G dropped, or counted twice) so that a
// test can show that the checks catch it.
package stress
