package usched

import (
	"fmt"
	"time"

	"github.com/usched/usched/g"
	"github.com/usched/usched/m"
)

// Policy selects how Gs are queued and which runs next.
type Policy int

const (
	// WorkStealing (the default): a G spawned in a G queues on its P,
	// newest first, and idle Ps steal the oldest half of a busy P's
	// queue; Gs from outside wait in a global FIFO. Classes are ignored.
	// Best throughput for fork-join and spawn-heavy work.
	WorkStealing Policy = iota
	// Priority: Gs run in class order, Critical before Normal before
	// Batch, each class work-stealing as above. A Critical or Normal G
	// that becomes runnable while every M runs a worse class makes one of
	// them yield at its next poll. Aging (Config.Aging) bounds how long a
	// worse class waits.
	Priority
	// Centralized is Shinjuku's policy: one FIFO for every G, pulled one
	// at a time by idle Ms, and a short quantum (DefaultCentralizedQuantum)
	// after which a G goes to the back. Best tail latency when service
	// times are dispersive (a few long requests among many short ones).
	// Classes are ignored.
	Centralized
)

func (pol Policy) String() string {
	switch pol {
	case WorkStealing:
		return "WorkStealing"
	case Priority:
		return "Priority"
	case Centralized:
		return "Centralized"
	}
	return fmt.Sprintf("Policy(%d)", int(pol))
}

// DefaultCentralizedQuantum is the quantum when Config.Quantum is zero
// under the Centralized policy. Shinjuku preempts every 5-15 µs with
// posted interrupts; here each watcher tick costs a busy M a timer
// interrupt and a BPF run (about 20 µs in the development VM, a few µs on
// bare metal), so the quantum is a trade between that cost and how long a
// short G can wait behind a long one (bench/RESULTS.md measures both).
const DefaultCentralizedQuantum = 200 * time.Microsecond

// DefaultAging is the Priority policy's aging limit when Config.Aging is
// zero: a class with runnable Gs gets at least one start in every
// DefaultAging+2 starts of its M.
const DefaultAging = m.DefaultAging

// Class is a G's priority class: Critical, Normal (the zero value) or
// Batch. Only the Priority policy orders Gs by class. A G's children
// inherit its class unless spawned with G.GoClass.
type Class = g.Class

// The classes, best first under the Priority policy.
const (
	Critical = g.Critical
	Normal   = g.Normal
	Batch    = g.Batch
)

// GoClass is Go for a G of class c. It panics if c is not one of the
// defined classes.
func (rt *Runtime) GoClass(c Class, fn func(*G)) {
	if !c.Valid() {
		panic("usched: Runtime.GoClass with an invalid class " + c.String())
	}
	if err := rt.s.Submit(fn, c); err != nil {
		rt.s.RecordRejected()
	}
}

// resolvePolicy checks the policy fields of cfg and fills them into mc.
func (cfg Config) resolvePolicy(mc *m.Config) error {
	switch cfg.Policy {
	case WorkStealing:
		mc.Policy = m.WorkStealing
	case Priority:
		mc.Policy = m.Priority
	case Centralized:
		mc.Policy = m.Centralized
	default:
		return fmt.Errorf("usched: Config.Policy is %v; want WorkStealing, Priority or Centralized", cfg.Policy)
	}
	if cfg.Aging != 0 && cfg.Policy != Priority {
		return fmt.Errorf("usched: Config.Aging is %d, but only the Priority policy ages (Policy is %v)", cfg.Aging, cfg.Policy)
	}
	mc.Aging = cfg.Aging
	return nil
}
