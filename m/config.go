package m

import (
	"syscall"
	"time"

	"github.com/usched/usched/preempt"
)

// Config is a validated runtime configuration (the root package checks
// the user's input).
type Config struct {
	// Procs is the number of Ps and Ms, at least 1.
	Procs int
	// CPUs[i] is the CPU M i is pinned to. Nil means no pinning.
	CPUs []int
	// Preempt is the watcher to use; Quantum its quantum (> 0 unless
	// Preempt is preempt.Off); Signal the escalation signal of the eBPF
	// watcher.
	Preempt preempt.Mode
	Quantum time.Duration
	Signal  syscall.Signal
	// Spares is the number of spare Ms (>= 0).
	Spares int
	// SysmonCPU is the CPU for the sysmon watcher thread, or -1.
	SysmonCPU int
	// Policy is the scheduling policy; Aging its aging limit (Priority
	// only; see newPriority).
	Policy PolicyKind
	Aging  int
}
