package p

import (
	"sync/atomic"
	"unsafe"

	"github.com/usched/usched/asm"
)

// Counter names a per-P monotonic counter. The unit is in the name.
type Counter int

// The per-P counters. Each is incremented only by the owner of the P.
const (
	SpawnedGs          Counter = iota // Gs created on this P (G.Go, Group.Go)
	RanGs                             // Gs started on this P
	FinishedGs                        // Gs that returned or panicked on this P
	NotRunGs                          // Gs dropped without running (after Close)
	PanickedGs                        // Gs that panicked
	LocalPops                         // Gs taken from this P's runnext or deque
	GlobalPops                        // Gs taken from the global queue
	ResumedGs                         // suspended Gs resumed from the M's resume queue
	StealAttempts                     // victims probed
	Steals                            // probes that moved at least one G
	StolenGs                          // Gs moved into this P by stealing
	Parks                             // times the M went idle (joined the idle list)
	Spins                             // spin rounds while searching for work
	Yields                            // G.Yield calls, and preemption polls that yielded
	Suspends                          // Gs that suspended (Yield, Group.Wait)
	OverflowGs                        // Gs moved from this P's deque to the global queue
	Backpressures                     // spawns that yielded because the P's deque was overlong
	Preemptions                       // polls that found the running G over its quantum and yielded it
	Handoffs                          // escalations this P's M took over: it is a spare M serving an overrunning M's CPU
	Sleeps                            // G.Sleep calls
	Syscalls                          // blocking calls entered through package hook
	SyscallHandoffs                   // hooked calls during which this M's work was handed to a spare M
	SyscallStalls                     // of those, calls that kept Gs bound to this M (suspended here) waiting
	SyscallStallCycles                // their durations, in asm.Cycles units (Stats converts to time)
	NumCounters
)

// Counters is a P's set of counters: live values written by the owner
// with plain stores, and a published copy that any thread may read.
type Counters struct {
	live [NumCounters]uint64        // owner-only
	pub  [NumCounters]atomic.Uint64 // atomic: written by Publish (release), read by Load
	// stolenFrom[v] counts Gs this P stole from P v: this P's row of the
	// steal matrix (victim x thief, read transposed).
	stolenFrom    []uint64        // owner-only
	pubStolenFrom []atomic.Uint64 // atomic
}

func (c *Counters) init(procs int) {
	c.stolenFrom = make([]uint64, procs)
	c.pubStolenFrom = make([]atomic.Uint64, procs)
}

// Inc adds one to counter k. Owner only.
func (c *Counters) Inc(k Counter) { c.live[k]++ }

// Add adds n to counter k. Owner only.
func (c *Counters) Add(k Counter, n uint64) { c.live[k] += n }

// AddStolenFrom records n Gs stolen from P victim. Owner only.
func (c *Counters) AddStolenFrom(victim int, n uint64) { c.stolenFrom[victim] += n }

// Publish copies the live counters to the published copy. Owner only. It
// costs one store with release ordering per counter (see publish), so the
// owner calls it every few dozen scheduling rounds and before parking, not
// per G.
func (c *Counters) Publish() {
	for i := range c.live {
		publish(&c.pub[i], c.live[i])
	}
	for i := range c.stolenFrom {
		publish(&c.pubStolenFrom[i], c.stolenFrom[i])
	}
}

// Load returns the published value of k. Any thread.
func (c *Counters) Load(k Counter) uint64 { return c.pub[k].Load() }

// LoadStolenFrom returns the published count of Gs stolen from victim.
// Any thread.
func (c *Counters) LoadStolenFrom(victim int) uint64 { return c.pubStolenFrom[victim].Load() }

// publish stores v into a published counter with release ordering only
// (asm.StoreRelease: a MOV on amd64, STLR on arm64; an atomic store in
// race builds), where x.Store would be an XCHG on amd64: Publish stores
// every counter every few dozen scheduling rounds, about 0.4 of an XCHG
// per tiny G. Readers load with x.Load. Release is all a published copy
// needs: the copy is a racy snapshot by contract, and where Stats must be
// exact (a parked M, see Sched.quiescent) a sequentially consistent
// operation follows Publish before anyone reads, which orders the release
// stores before it.
//
// The pointer conversion is sound because atomic.Uint64 is one uint64
// after zero-size fields (TestPublishLayout checks its size), so x's
// address is its value's, 8-byte aligned on every architecture.
func publish(x *atomic.Uint64, v uint64) {
	asm.StoreRelease((*int64)(unsafe.Pointer(x)), int64(v))
}
