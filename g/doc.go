// Package g defines the G descriptor (a usched user task), its states, the
// fork-join Group and G.Join, the PanicError a failed G reports, and the
// interface a running G uses to reach the M that runs it.
//
// It is an implementation detail of usched with no compatibility promise;
// the root package re-exports G, Group and PanicError as aliases.
//
// # Invariants
//
//   - A G is owned by exactly one party at a time: the queue it sits in, or
//     the M running it. Only the owner writes its fields (see G).
//   - An unstarted G has no stack (Co == nil) and may move between Ps.
//     Once a G has suspended, Co names the coroutine that holds its stack,
//     which only its M may switch to: the G is bound to that M for life.
//   - A G's Class is set by its spawner (Init) and never changes; it rides
//     in the top byte of the G's stamp word, so the descriptor stays 48
//     bytes. Children inherit it unless spawned with GoClass.
//   - A Group's children report to its GroupState, never to the Group,
//     so that a Group stays on its G's stack. GroupState.n counts children
//     spawned but not finished; the child that takes it to zero wakes the
//     single waiter, if one is registered. Waiter registration and the
//     final decrement are ordered by sequentially consistent atomics, so a
//     wake-up is never lost.
//   - A GroupState comes from a free list of an M (Thread) at a Group's
//     first Go (or in G.Join) and goes back to the waiter's M when its
//     wait ends: n is zero and no child refers to it. Only the G running
//     on an M touches its list. A finishing child may still read the
//     waiter word of a recycled record after n reached zero; the worst it
//     can do is a spurious Ready of the record's next waiter, which
//     Wait's loop absorbs (see Group.Wait).
//   - n is written with plain stores where no other thread can reach it:
//     by the G that installs the record (Group.start) or forks its one
//     child (G.Join), before publishing it; by G.Join again when it took
//     the child back and ran it inline (Sched.Unfork); and by Settle, when
//     the completions an M deferred are all the children n still counts.
//     Every other access to n is atomic.
//
// g sits below m in the layout (see DESIGN.md): it calls the scheduler only
// through the Sched interface, which m implements. That inversion is what
// lets g (and later hook) stay below m.
package g
