package preempt

import "fmt"

// SwitchKind is what the sched_switch reporter saw an M do when its thread
// left the CPU. The values are those of bpf/quantum.bpf.c (SW_*); the
// kinds in events are SwitchBlock and SwitchPreemptForeign only.
type SwitchKind uint32

const (
	// SwitchBlock: the M went to sleep in the kernel while it ran a G (a
	// system call, a futex, a page fault): its P's other work waits until
	// someone else runs it.
	SwitchBlock SwitchKind = 1
	// SwitchPreemptForeign: a thread of another process took the M's CPU
	// while the M could still run; the M is runnable but not running.
	SwitchPreemptForeign SwitchKind = 2
	// SwitchPreemptOwn: a thread of this process took the M's CPU. It
	// appears in Slot.LastKind but is never reported: the reader's own
	// wake-ups are such switches, and reporting them feeds back into more
	// of them (see bpf/quantum.bpf.c, cfg_report_mask).
	SwitchPreemptOwn SwitchKind = 3
)

func (k SwitchKind) String() string {
	switch k {
	case SwitchBlock:
		return "block"
	case SwitchPreemptForeign:
		return "preempt-foreign"
	case SwitchPreemptOwn:
		return "preempt-own"
	}
	return fmt.Sprintf("SwitchKind(%d)", uint32(k))
}

// SwitchEvent is one report of the sched_switch program: a watched M's
// thread left its CPU.
type SwitchEvent struct {
	// Slot is the M's slot in the table.
	Slot int
	// Kind is SwitchBlock or SwitchPreemptForeign. A block is reported
	// only while the M ran a G (Seq != 0): an M that blocks in its
	// scheduler is parking for want of work.
	Kind SwitchKind
	// TS is the time of the switch-out: bpf_ktime_get_ns, which is
	// CLOCK_MONOTONIC in ns.
	TS uint64
	// Seq is the slot's Seq at the switch-out: which G was running. The
	// event is stale if the M's Seq has moved on since.
	Seq uint64
	// Syscall is the slot's Syscall at the switch-out: when the M entered
	// the hooked call it blocks in, or 0 for a block nobody hooked.
	Syscall uint64
	// NextTID is the thread that got the CPU (0: the idle task).
	NextTID int
	// PrevState is the M's task state at the switch-out, the kernel's
	// TASK_* bits (1 interruptible sleep, 2 uninterruptible); usually 0
	// (running) for a preemption.
	PrevState uint32
}
