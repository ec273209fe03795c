// Package steal holds the per-P work-stealing deque of usched and the
// victim order used when a P runs out of work.
//
// It is an implementation detail of usched; it has no compatibility promise.
// It imports only the standard library and asm (for one release store),
// so the deque can be tested, raced and benchmarked without the rest of
// the runtime.
//
// # Contents
//
//   - [Deque]: a growable Chase-Lev deque of *T. One goroutine, the owner
//     (the M that holds the P), pushes and pops at the bottom; any goroutine
//     may steal from the top.
//   - [RandomOrder] and [RandomEnum]: a cheap random permutation of the Ps
//     to visit as victims, after Go's runtime randomOrder.
//   - [Rand]: a tiny per-thread PRNG to seed that permutation.
//
// # Invariants
//
// Who may call what on a Deque:
//
//   - Owner only: PushBottom, PopBottom, PopTop, PopTopN. At most one
//     goroutine at a time may use these; handing ownership to another
//     goroutine needs a happens-before edge, which whatever hands a P over
//     must provide.
//   - Any goroutine: Steal, Len, Empty. StealHalf is for any goroutine except
//     the owner of the source deque, and it pushes into a deque the caller
//     owns.
//
// Every pointer pushed is returned exactly once, by PopBottom, PopTop,
// PopTopN, Steal or StealHalf (which moves it into another deque, where the
// rule holds again): never lost and never returned twice, also across any
// number of ring growths. Items are identified by their index: top and bottom are
// int64 counters that only the CAS on top (for top) and the owner (for
// bottom) move, and an item leaves the deque exactly when some taker moves
// top past its index or the owner moves bottom below it while top is
// provably below it. Indices do not wrap in practice (2^63 operations).
//
// # Design: rejected alternatives
//
// A P's run queue is on the hottest path of the scheduler: a G that spawns
// children pushes them, and the owner pops them again, usually long before
// another P looks. Stealing is comparatively rare (it happens only when a
// P has run dry). So the design optimizes the owner's push and pop and
// accepts more work on the thief's side. Three designs were rejected.
//
//  1. A mutex-protected deque. Simple and obviously correct, but every owner
//     push and pop pays a lock and an unlock (two atomic read-modify-writes)
//     even when nobody steals. Worse, Ms are ordinary goroutines on locked
//     threads: a thief that is descheduled by the OS or by Go while holding
//     the lock stalls the owner, which turns a rare steal into a scheduling
//     stall on a P that had plenty of work.
//
//  2. Go's runtime run queue (runq, runqput/runqget/runqgrab in
//     runtime/proc.go): a fixed 256-slot ring whose consumers, the owner
//     included, all take from the head with a CAS. Because every consumer
//     CASes the head, a thief can take half the queue with a single CAS,
//     which is elegant. But it costs a CAS on every owner pop, it pops only
//     FIFO (Go gets LIFO locality from the one-slot runnext instead), and a
//     fixed ring must overflow somewhere: runqputslow moves half of it to the
//     global queue under sched.lock. usched targets programs that spawn
//     millions of small tasks from a few Gs, where that overflow path would
//     turn the global lock into the bottleneck. The Chase-Lev deque grows
//     instead and lets the owner pop without any read-modify-write except
//     for the very last item. (Tokio's queue.rs is the same family as Go's:
//     fixed size, owner pops with a CAS, overflow to the inject queue.)
//
//  3. Steal-half with one multi-item CAS on a Chase-Lev deque (a thief reads
//     t and b and CASes top from t to t+n, n = ceil((b-t)/2)). This is
//     unsound. The Chase-Lev owner takes every item but the last WITHOUT a
//     CAS: PopBottom writes bottom = b-1, reads top, and if top < b-1 simply
//     owns index b-1. The store/load fence pair (below) only guarantees that
//     owner and thief agree about the single index the thief is claiming,
//     top itself. A thief claiming [t, t+n) can lose items in (t, t+n) to
//     the owner. Example: t=0, b=3. A thief reads both and decides to take
//     n=2, indices 0 and 1. Before its CAS the owner pops twice: bottom=2,
//     top=0 < 2, it owns index 2; bottom=1, top=0 < 1, it owns index 1. Now
//     the thief's CAS 0->2 succeeds, top is still 0, and index 1 is returned
//     twice. Re-reading bottom after the CAS cannot undo the claim, and
//     making the owner CAS on every pop is design 2 again. So StealHalf is a
//     loop of single-item steals, one CAS per item, each of which the usual
//     Chase-Lev argument covers. It costs n CASes instead of one, off the
//     owner's fast path, on the rare steal path; it stops at the first empty
//     observation and after a few lost races, so a thief never livelocks
//     against the owner.
//
// # Design: memory ordering
//
// The algorithm is Chase and Lev, "Dynamic Circular Work-Stealing Deque"
// (SPAA'05), with the orderings argued in Lê, Pop, Cohen and Zappa Nardelli,
// "Correct and Efficient Work-Stealing for Weak Memory Models" (PPoPP'13).
// Their C11 version uses, and needs, these orderings (the names are the
// ones used in this package):
//
//	PushBottom  b = load(bottom, relaxed)       owner is bottom's only writer
//	            t = load(top, acquire)          pairs with the thief's CAS on top:
//	                                            the thief's read of slot t must
//	                                            happen before the owner reuses
//	                                            that slot after wrapping around
//	            store(slot[b], x, relaxed)
//	            fence(release)                  publishes the slot (and a newly
//	            store(bottom, b+1, relaxed)     grown ring) to a thief that
//	                                            reads bottom >= b+1
//
//	PopBottom   b = load(bottom, relaxed) - 1
//	            store(bottom, b, relaxed)       claim index b
//	            fence(seq_cst)                  StoreLoad: see below
//	            t = load(top, relaxed)
//	            if t == b: CAS(top, t, t+1, seq_cst)   race thieves for the last item
//	            store(bottom, b+1, relaxed)     restore after empty or last item
//
//	Steal       t = load(top, acquire)
//	            fence(seq_cst)                  LoadLoad + joins the SC order
//	            b = load(bottom, acquire)       pairs with PushBottom's release fence
//	            ring = load(ring, consume)      the ring at least as new as b
//	            x = load(slot[t], relaxed)      only used if the CAS wins
//	            CAS(top, t, t+1, seq_cst)       linearizes the steal
//
// The two seq_cst fences are the heart of it; they are a Dekker handshake.
// The owner writes bottom and then reads top; a thief reads top and then
// bottom. With both fences in the single SC order, either the owner's fence
// comes first, and the thief sees the decremented bottom and so does not
// claim index b; or the thief's fence comes first, and the owner sees the
// top the thief read (or a later one), so if the thief's claim is index b
// the owner finds t == b and falls back to the CAS. Without them both could
// take the same item: the owner's store could sit in its store buffer while
// it reads an old top, and the thief would read an old bottom. The CASes are
// seq_cst so that the last-item race is decided in the same total order.
// Slot accesses may be relaxed because a slot value is only used after a CAS
// (or the fence argument) has proved the index is still owned by the reader;
// racy reads of a slot that is being reused are discarded when the CAS fails.
//
// Go's sync/atomic has only one ordering: the Go memory model says all
// atomic operations behave as if executed in some sequentially consistent
// order, and an atomic that observes another's effect is synchronized after
// it. Every load, CAS and the pops' stores above are sync/atomic
// operations, so each load is at least acquire, each CAS seq_cst. The
// fences come from program order inside that total order: in PopBottom,
// the store of bottom and the following top.Load() are both SC operations
// of one goroutine, so the store precedes the load in the SC order, which
// is exactly what fence(seq_cst) between them buys in C11. On amd64 the SC
// store compiles to XCHG, a full barrier; on arm64 to STLR, which a later
// LDAR may not pass. In Steal, top.Load() and the load of bottom are two SC
// loads in program order (amd64 keeps load-load order; arm64 LDAR;LDAR).
//
// PushBottom's store of bottom needs only release, and an SC store would
// be an XCHG on amd64 (about 6 ns here, against about 1 ns; asm's
// BenchmarkStoreRelease). sync/atomic offers nothing weaker, so the push
// publishes bottom with asm.StoreRelease: a plain MOV on amd64 (x86 is
// TSO: no store passes an earlier load or store), STLR on arm64, and an
// SC store elsewhere and in race builds, where the detector must see the
// happens-before edge the store gives a thief. The call to an
// assembly function is also a compiler barrier: the slot store before it
// is not moved after it. What this leaves out is the StoreLoad order after
// the push, which the protocol never needs: the owner's next top load may
// be satisfied before thieves see the new bottom, and a stale top only
// makes the capacity check grow early; a thief that misses the new bottom
// sees a shorter deque, as if it had looked a moment earlier. The owner's
// PopBottom claim is still an SC store, so the Dekker handshake above is
// unchanged. Measured: an owner push/pop pair 16-24% cheaper
// (BenchmarkPushPop), a tiny G on one P 12% cheaper (bench/RESULTS.md).
//
// Slots are plain *T, except under the race detector (slot_norace.go
// and slot_race.go). The algorithm reads slots racily on purpose; a
// pointer is one word, and the Go memory model guarantees that a racy read
// of a word observes some write of it, so a thief reads either the item or
// a stale one that its failed CAS discards. The owner's slot store is
// ordered before the release store of bottom that publishes it, and a
// thief's slot read comes after its atomic load of bottom. An atomic slot
// store is a second XCHG per push on amd64; it was one of the three XCHGs
// whose removal made a tiny G 6-11% cheaper (bench/RESULTS.md, "Where the
// time goes"). The race detector reports the deliberate races, so race
// builds use atomic slots (slot_race.go), as asm.StoreRelease is an
// atomic store there; test.sh runs this package's tests both with and
// without -race.
//
// # Design: growth
//
// When PushBottom finds the ring full (bottom-top equals its size, using a
// top that can only be stale low, so the test errs towards growing), the
// owner allocates a ring twice the size, copies the live indices [top,
// bottom) into it at the same indices, and publishes it with ring.Store
// before the store of bottom that makes the new item visible. The ring never
// shrinks: a P that once held a million Gs keeps an 8 MiB ring, which is
// cheaper than regrowing it in the next burst.
//
// The old ring is simply dropped. In C this needs hazard pointers or epochs,
// because a thief may still be reading it; in Go the garbage collector keeps
// it alive for as long as any thief holds the pointer. Reading it is also
// still correct: after the growth the owner never writes the old ring again,
// so every index it held at growth time keeps the item that is at that
// index in the new ring. A thief that loaded the old ring read, just before,
// a bottom b > t written before the new ring was published (the SC order
// puts its ring load after its bottom load). So index t was pushed into the
// old ring, and was not taken by the owner before the thief read top = t
// (an owner pop of t without a CAS needs top < t after bottom fell to t,
// and the thief would then have read that smaller bottom). If the thief's
// CAS on top from t succeeds, no one took t afterwards either, so the value
// it read is the one pushed at t. Items the copy duplicated while thieves
// were stealing are harmless: only indices at or above top are ever
// returned.
package steal
