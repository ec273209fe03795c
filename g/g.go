package g

import (
	"strconv"
	"sync/atomic"
	"unsafe"
)

// G is a user task: a function plus the few words the scheduler needs.
// An unstarted G owns no stack; it is 48 bytes on 64-bit platforms.
//
// The scheduler's accessors are package functions (Init, Link, ...), not
// methods, so that the public usched.G shows only Go, Yield, Check and ID.
//
// Field ownership: fn, group and meta are written by the spawner
// before the G is published to a queue, and read by the M that runs it
// (the queue's atomics order the two). th and co are written only by the
// M running the G. link is owned by the queue the G sits in.
type G struct {
	fn    func(*G)
	th    *Thread           // the M running (or bound to) this G; nil until first run
	group *GroupState       // fork-join group to report to; nil for root Gs
	co    unsafe.Pointer    // m's coroutine holding this G's stack; nil while unstarted or running
	link  atomic.Pointer[G] // intrusive link for the MPSC queues in package p
	// meta packs the G's Class (top 8 bits) with its runnable-since time
	// for a sampled latency measurement (low 56 bits, 0 when not sampled),
	// so that a class costs the 48-byte G no word of its own.
	meta uint64
}

// stampBits is the width of the sampled stamp in G.meta: 2^56 ns is 833
// days, the longest a runtime can run before a stamp wraps (a wrapped
// stamp spoils one latency sample).
const (
	stampBits = 56
	stampMask = 1<<stampBits - 1
)

// Class is a G's priority class. Only the Priority policy orders Gs by
// class; other policies record it and ignore it. The zero value is Normal.
type Class uint8

const (
	// Normal is the default class: Gs spawned from outside the runtime
	// without a class, and the children of Normal Gs.
	Normal Class = iota
	// Critical Gs run before Normal and Batch Gs (latency-critical work).
	Critical
	// Batch Gs run only when no Critical or Normal G is runnable, except
	// as aging allows (see the Priority policy).
	Batch
	// NumClasses is the number of classes.
	NumClasses = 3
)

// Rank returns the scheduling rank of c under the Priority policy: 0 runs
// first. Unknown classes rank as Batch.
func (c Class) Rank() int {
	switch c {
	case Critical:
		return 0
	case Normal:
		return 1
	default:
		return 2
	}
}

// String returns the class name.
func (c Class) String() string {
	switch c {
	case Normal:
		return "normal"
	case Critical:
		return "critical"
	case Batch:
		return "batch"
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// Valid reports whether c is one of the defined classes.
func (c Class) Valid() bool { return c < NumClasses }

// Init prepares a fresh or recycled G. Only the spawner calls it, before
// publishing the G.
// A recycled G keeps th (it is reset by SetThread before the G runs) and
// co is nil for every G not suspended, so neither is written here: each
// pointer store costs a write barrier while the GC is marking, and fork-join
// code keeps the GC marking much of the time.
// stamp must be below 2^56 (see stampBits).
func Init(gp *G, fn func(*G), grp *GroupState, stamp int64, c Class) {
	Restore(gp, Unstarted{fn, grp, uint64(c)<<stampBits | uint64(stamp)&stampMask})
}

// Unstarted is an unstarted G by value: everything its descriptor holds
// before it first runs. Package p moves overflowing Gs between Ps this way
// (see p.Batch), so that the descriptors stay on the P that made them.
type Unstarted struct {
	fn    func(*G)
	group *GroupState
	meta  uint64
}

// Save returns the unstarted gp by value. The caller then recycles gp.
func Save(gp *G) Unstarted { return Unstarted{gp.fn, gp.group, gp.meta} }

// Restore makes the fresh or recycled gp the G that u holds, as Init
// made it (class and sampled stamp included).
func Restore(gp *G, u Unstarted) {
	gp.fn = u.fn
	gp.group = u.group
	gp.meta = u.meta
}

// Release drops a finished G's references to user data (its function and
// group) so that they can be collected while the G sits in a free list.
func Release(gp *G) {
	gp.fn = nil
	gp.group = nil
}

// ID returns the G's identifier, unique among the live Gs of the process.
// IDs of finished Gs are reused. It is the descriptor's address (Go's heap
// does not move objects), which saves the G a word: a G stays within 48
// bytes and a million queued Gs within 48 MB.
func (gp *G) ID() uint64 { return uint64(uintptr(unsafe.Pointer(gp))) }

// Func returns gp's function (for the M that runs it).
func Func(gp *G) func(*G) { return gp.fn }

// GroupOf returns the fork-join group gp reports to, or nil.
func GroupOf(gp *G) *GroupState { return gp.group }

// Stamp returns gp's sampled runnable-since time, or 0.
func Stamp(gp *G) int64 { return int64(gp.meta & stampMask) }

// Class returns the G's priority class.
func (gp *G) Class() Class { return Class(gp.meta >> stampBits) }

// ThreadOf returns the M gp runs on (nil while unstarted).
func ThreadOf(gp *G) *Thread { return gp.th }

// SetThread binds the G to th. Only the M about to run gp calls it. The
// store is skipped when th is already set (a descriptor recycled on the
// same M) to save its write barrier.
func SetThread(gp *G, th *Thread) {
	if gp.th != th {
		gp.th = th
	}
}

// Coro returns the coroutine holding a suspended G's stack, or nil.
func Coro(gp *G) unsafe.Pointer { return gp.co }

// SetCoro records (or clears, with nil) the coroutine holding gp's stack.
// Only gp's M calls it.
func SetCoro(gp *G, co unsafe.Pointer) { gp.co = co }

// Link returns the intrusive queue link; only package p's queues use it.
func Link(gp *G) *atomic.Pointer[G] { return &gp.link }

// Go spawns a child G running fn on the current P. The child may be stolen
// by another P before it starts. Go is cheap (tens of nanoseconds) and never
// blocks. The child is a root G: Runtime.Wait waits for it and receives its
// panic, if any. Use a Group to wait for children from a G.
//
// gp must be the G currently running (the one passed to its function).
// The child inherits gp's class; GoClass chooses another.
func (gp *G) Go(fn func(*G)) {
	gp.th.Sched.Spawn(gp, fn, nil, gp.Class())
}

// GoClass is Go with the child's priority class c. It panics if c is not
// a valid Class (a programming error, as an invalid index is).
func (gp *G) GoClass(c Class, fn func(*G)) {
	if !c.Valid() {
		panic("usched: G.GoClass with an invalid class " + c.String())
	}
	gp.th.Sched.Spawn(gp, fn, nil, c)
}

// Yield puts the G behind the other runnable Gs of its P and lets them
// run. It returns once the G is scheduled again. If nothing else is
// runnable it returns at once.
func (gp *G) Yield() {
	gp.th.Sched.Yield(gp)
}

// Check is the preemption poll: one load and a branch. A long-running G
// calls it in its loops; if the G has overrun its quantum, Check yields as
// Yield does. Without a preemption watcher the word is never set and
// Check costs under a nanosecond.
func (gp *G) Check() {
	if atomic.LoadUint64(gp.th.Preempt) != 0 {
		gp.th.Sched.Preempted(gp)
	}
}
