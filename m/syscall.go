package m

import (
	"github.com/usched/usched/asm"
	"github.com/usched/usched/g"
	"github.com/usched/usched/p"
)

// Blocking calls (package hook). Entering publishes, in the M's slot, the
// cycle count at which the call began (one RDTSC and a store: a call that
// does not block must stay within 100 ns of the raw system call). If the
// call blocks, the watcher hands the M's work to a spare M, the same
// hand-off as an escalated G (spare.go): the eBPF reporter at once when it
// sees the thread switch out, sysmon once the call has lasted
// syscallGrace at its next tick. The M itself never loses its P, so on
// return there is nothing to re-acquire: it takes its CPU back from the
// spare (reclaim) and goes on with the G.

// EnterSyscall marks mp as inside a blocking call made by gp.
func (mp *M) EnterSyscall(gp *g.G) {
	mp.pp.C.Inc(p.Syscalls)
	mp.slot.EnterSyscall(asm.Cycles() | 1)
}

// ExitSyscall ends the call: if its M's work was handed off meanwhile,
// take the CPU back. Then poll, as every runtime call does.
func (mp *M) ExitSyscall(gp *g.G) {
	since := mp.slot.InSyscall()
	mp.slot.ExitSyscall()
	if mp.esc.Load() != nil {
		mp.pp.C.Inc(p.SyscallHandoffs)
		if n := mp.local.Len(); n > 0 || !mp.remote.Idle() {
			// Gs bound to this M were ready and waited for the call: at
			// most its whole duration (they may have been readied
			// during it). Counted in cycles, converted when read.
			mp.pp.C.Inc(p.SyscallStalls)
			mp.pp.C.Add(p.SyscallStallCycles, asm.Cycles()-since)
		}
		mp.reclaim()
	}
	gp.Check()
}
