// Package p implements usched's P (processor): the right to run Gs, with
// its runnext slot, its local Chase-Lev deque of unstarted Gs, a free list
// of G descriptors, and its counters. It also holds the queue types the
// scheduler is built from: the intrusive MPSC queue used for each M's
// resume queue, the owner-only FIFO, and the global queue for submissions
// from outside the runtime and for Gs a P overflows, which travel by value
// in Batches.
//
// It is an implementation detail of usched with no compatibility promise.
//
// # Invariants
//
//   - Only unstarted Gs (no stack, g.Coro(G) == nil) are ever put in a P's
//     runnext or deque: those are the Gs that may be stolen. A G that has
//     suspended is bound to its M and goes to that M's resume queue.
//   - Owner-only fields (counters, free list, ID sequence) are touched
//     only by the M holding the P. Other threads read the counters only
//     through their published copies (Publish), so counting costs the
//     owner plain increments and never shares a cache line on the hot path.
//   - A G sits in at most one queue at a time; the intrusive link of G is
//     owned by that queue.
//   - A G descriptor never moves between Ps while its G is unstarted,
//     except by stealing: an overflowing P copies its Gs into a Batch
//     (g.Save) and frees the descriptors at once, and the P that takes a
//     Batch's Gs gives them descriptors of its own (g.Restore). A G's ID
//     (its descriptor's address) is therefore fixed only once it runs.
package p
