// Package m implements usched's Ms (machines: pinned OS threads), the
// scheduler loop each M runs, the coroutine star that gives Gs lazy
// stacks, and the parking protocol. Sched ties Ms and Ps together.
//
// It is an implementation detail of usched with no compatibility promise.
//
// # Invariants
//
//   - Each M is one goroutine, locked to its OS thread for life and pinned
//     to one CPU; it never unlocks, so the thread (with its changed
//     affinity) dies with the M instead of returning to Go's pool.
//   - Each M holds one P for life (M i holds P i); a spare M with its own
//     P runs on an M's CPU while that M is blocked or escalated.
//   - Where unstarted Gs wait and which runs next is the Policy's
//     (policy.go): work stealing, priority classes or one central FIFO.
//     Everything else (the star, resume queues, parking, preemption,
//     spares, accounting) is the same under every policy.
//   - A G that suspended is bound to its M: only that M switches to the
//     coroutine holding its stack (runtime/coro.go requires it for
//     coroutines created on a locked thread). Other threads make it
//     runnable only by pushing it on the M's remote resume queue.
//   - Every spawned or submitted G is counted exactly once as finished
//     (ran to completion or panicked) or not run (dropped by Close), so
//     submitted + spawned == finished + not run when the runtime is idle.
//
// # Lazy stacks: the coroutine star
//
// Go code may only run on stacks the Go runtime knows, so a G cannot get a
// hand-made stack. Instead each M has a base goroutine B and a pool of
// scheduler coroutines made with iter.Pull. B is the hub of a star: it is
// the only caller of any coroutine's next, and every coroutine yields only
// to B, telling it what to run next (a msg).
//
// A scheduler coroutine S runs the loop "find a G; run it". An unstarted G
// runs inline, as a plain call on S's stack: no goroutine, no switch. If
// that G suspends (Yield, Group.Wait), S becomes its stack. The suspending
// code itself looks for the next G (which may park the thread): if that is
// the same G, it returns without any switch; if it is a suspended G, S
// yields "resume that coroutine" to B; if it is an unstarted G, S yields
// "run it on a fresh coroutine" and B takes one from the pool. So a
// suspension costs two switches (S to B, B to the next), and resuming a G
// is the second of them. A scheduler coroutine that finds a suspended G to
// resume puts itself back in the pool first; past poolMax it returns
// instead, so a burst of suspensions does not pin memory forever.
//
// Rejected: switching stacks in assembly or in a signal handler, as the C
// ancestor did (Go's GC and stack growth must know every stack); one
// goroutine per G (a parked-goroutine wake-up through Go's scheduler costs
// microseconds on a locked thread, and every G would pay a stack); chains
// of coroutines calling each other's next (a coroutine can only return to
// the one that resumed it, so the G order would be forced).
//
// # Worker parking and unparking
//
// As in Go's runtime (proc.go, "Worker thread parking/unparking"), the
// aim is to keep enough Ms running to use the available parallelism while
// parking excess Ms quickly. An M that runs out of local work may become
// spinning (search other Ps and the global queue) only while
// 2*spinning < busy Ms; a spinning M that finds work stops spinning and,
// if it was the last spinner, wakes another (wakep) so that a burst of work
// fans out one M at a time. Whoever makes work available calls wakep,
// which unparks an idle M only if there is no spinning M.
//
// The ordering that prevents lost wake-ups, with sequentially consistent
// atomics throughout:
//
//   - submitter: push the G; then load nidle and nspinning (wakep).
//   - parker: set its park word, join the idle list (nidle++); then
//     re-check every queue; sleep on the futex only if all were empty.
//
// Either the submitter sees the parker on the idle list and wakes it, or
// the parker's re-check sees the G. A G readied onto a particular M's
// resume queue wakes that M directly through its park word (0 running,
// 1 parked, 2 notified): the waker pushes then CASes 1 to 2 and calls
// futex wake; the parker stores 1, re-checks, and sleeps only while the
// word is still 1.
//
// # Spawn storms and joins
//
// Four mechanisms, each measured (bench/RESULTS.md), go beyond the plain
// design in DESIGN.md:
//
//   - Free descriptors travel: a P whose free list is full hands half of
//     it to the runtime's p.FreePool, and a P with none takes a batch from
//     there before it allocates. Without it one spawning P and one P that
//     steals from it never meet, and the spawner allocates a fresh
//     descriptor per G. (Overflowed Gs keep their descriptors home; see
//     Overflow.)
//   - Overflow: when a P's deque passes overflowLen and the global queue
//     holds less than backpressureLen Gs per P, the owner moves the
//     overflowBatch oldest Gs to the global queue in one p.Batch (Go's
//     runqputslow). Thieves steal from a deque one CAS at a time and must
//     re-read its bottom for each G (see package steal), which costs both
//     sides a cache-line transfer per G. The Gs go by value, and their
//     descriptors stay on the overflowing P: handing the descriptors
//     over cost a cache-line transfer per G each way (see p.Batch).
//   - Backpressure: a G that has spawned more than backpressureSpawns Gs
//     since it last ran, while its P's deque holds more than
//     backpressureLen and the global queue is full (or there is one P),
//     yields, and once resumed yields again at its next spawn while the
//     deque is still that long (M.backpressure; Priority applies it per
//     class deque, Centralized to its FIFO). A spawning loop would
//     otherwise queue without bound, and a million queued Gs cost GC
//     marking and page faults for each. Gs that spawn a few children never
//     yield this way (yielding gives a G a stack).
//   - Deferred completions: an M counts the completions of one Group's
//     children that it ran and reports them to the Group once, before it
//     runs anything that is not their sibling, looks beyond its deque,
//     suspends, switches or parks. A batch of stolen children then moves
//     the Group's counter between CPUs once, not once per child.
//
// Group.Wait runs only the waiting group's own queued children inline
// (Help); anything else on the deque is left to the scheduler loop, on a
// stack of its own. An unrelated G run on top of a waiter might wait for
// that waiter (a Yield loop on a flag) and never return.
//
// Ms park and wake on a futex word of their own, through unix.Syscall so
// that Go can take the M's P back during the sleep. Waking a locked
// goroutine through a Go channel costs 10-30 µs (golang/go#21827).
package m
