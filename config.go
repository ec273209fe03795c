package usched

import (
	"fmt"
	"slices"
	"syscall"
	"time"

	"github.com/usched/usched/m"
	"github.com/usched/usched/preempt"
)

// Config configures a Runtime. The zero Config is valid: one P per CPU of
// the process's affinity mask, each M pinned to its own CPU.
type Config struct {
	// Procs is the number of Ps, hence of Ms (OS threads) running Gs.
	// Zero means one per CPU in CPUs. It may exceed len(CPUs); Ms are then
	// spread over the CPUs round-robin and share them.
	Procs int

	// CPUs lists the CPUs the Ms run on; M i is pinned to CPUs[i %
	// len(CPUs)]. Nil means every CPU of the process's affinity mask when
	// New is called. Each CPU must be in that mask and listed once.
	CPUs []int

	// Pin says whether Ms are pinned to CPUs. The zero value, PinCPU, pins
	// each M to one CPU; PinNone leaves placement to the kernel.
	Pin PinMode

	// Quantum is how long a G may run before the preemption watcher flags
	// it: its next poll (G.Check, or any runtime call) then yields. A G
	// that has not polled two quanta after its start is escalated: its P
	// is handed to a spare M on the same CPU while it runs on, demoted to nice 19.
	// Zero means DefaultQuantum (DefaultCentralizedQuantum under the
	// Centralized policy); a negative value disables preemption (as
	// Preempt: PreemptOff does). The watcher costs a timer interrupt per
	// quantum of each busy M's CPU time (about 7 µs in a VM): about 0.7%
	// at 1 ms, 7% at 100 µs.
	Quantum time.Duration

	// Preempt chooses the preemption watcher. The zero value, PreemptAuto,
	// uses eBPF where it loads (it needs CAP_BPF and CAP_PERFMON) and the
	// pure-Go sysmon watcher otherwise; Stats says which is in force and
	// why.
	Preempt PreemptMode

	// Signal is the signal BPF sends to an M whose G ran two quanta
	// without polling. Zero means SIGUSR2. New fails if the program
	// already handles or ignores it (choose another with this field).
	// Only the eBPF watcher sends it.
	Signal syscall.Signal

	// Policy is the scheduling policy; the zero value is WorkStealing.
	Policy Policy

	// Aging is the Priority policy's aging limit: a class with runnable
	// Gs on an M gets at least one start in every Aging+2 starts there.
	// Zero means DefaultAging; a negative value disables aging (a worse
	// class may then starve). Other policies reject a non-zero Aging.
	Aging int

	// MaxSpareMs bounds the spare Ms that take over the P of an escalated
	// G. Zero means one per P; a negative value means none (an escalated
	// G then keeps its P until it polls or ends).
	MaxSpareMs int
}

// DefaultQuantum is the quantum when Config.Quantum is zero: short enough
// to bound the latency a long G adds to its P's queue, long enough that the
// watcher costs under 1% of CPU.
const DefaultQuantum = time.Millisecond

// PreemptMode selects the preemption watcher.
type PreemptMode int

const (
	// PreemptAuto uses eBPF where permitted and sysmon otherwise.
	PreemptAuto PreemptMode = iota
	// PreemptEBPF requires the eBPF watcher: New fails if it cannot load.
	PreemptEBPF
	// PreemptSysmon uses the pure-Go watcher thread.
	PreemptSysmon
	// PreemptOff disables preemption: Check never fires.
	PreemptOff
)

func (pm PreemptMode) String() string {
	switch pm {
	case PreemptAuto:
		return "PreemptAuto"
	case PreemptEBPF:
		return "PreemptEBPF"
	case PreemptSysmon:
		return "PreemptSysmon"
	case PreemptOff:
		return "PreemptOff"
	}
	return fmt.Sprintf("PreemptMode(%d)", int(pm))
}

// PinMode says how Ms are bound to CPUs.
type PinMode int

const (
	// PinCPU pins each M to a single CPU (the default).
	PinCPU PinMode = iota
	// PinNone locks each M to its OS thread but leaves its CPU affinity
	// as inherited.
	PinNone
)

func (pm PinMode) String() string {
	switch pm {
	case PinCPU:
		return "PinCPU"
	case PinNone:
		return "PinNone"
	}
	return fmt.Sprintf("PinMode(%d)", int(pm))
}

// maxProcs bounds Config.Procs: far beyond any useful value, low enough
// that a typo does not start a million threads.
const maxProcs = 4096

// resolve validates cfg against the process's affinity mask and returns
// the configuration of package m.
func (cfg Config) resolve() (m.Config, error) {
	procs, cpus, allowed, err := cfg.resolveCPUs()
	if err != nil {
		return m.Config{}, err
	}
	mc := m.Config{Procs: procs, CPUs: cpus, Quantum: cfg.Quantum, Signal: cfg.Signal, SysmonCPU: -1}
	if cfg.Preempt < PreemptAuto || cfg.Preempt > PreemptOff {
		return m.Config{}, fmt.Errorf("usched: Config.Preempt is %v; want PreemptAuto, PreemptEBPF, PreemptSysmon or PreemptOff", cfg.Preempt)
	}
	mc.Preempt = preempt.Mode(cfg.Preempt) // same values: TestPreemptModeValues
	if err := cfg.resolvePolicy(&mc); err != nil {
		return m.Config{}, err
	}
	switch {
	case cfg.Quantum == 0 && cfg.Policy == Centralized:
		mc.Quantum = DefaultCentralizedQuantum
	case cfg.Quantum == 0:
		mc.Quantum = DefaultQuantum
	case cfg.Quantum < 0:
		mc.Preempt = preempt.Off
	case cfg.Quantum < minQuantum:
		return m.Config{}, fmt.Errorf("usched: Config.Quantum is %v; the watcher cannot sample below %v", cfg.Quantum, minQuantum)
	}
	if mc.Preempt == preempt.Off {
		mc.Quantum = 0
	}
	if mc.Signal == 0 {
		mc.Signal = syscall.SIGUSR2
	}
	if err := checkSignal(mc.Signal); err != nil {
		return m.Config{}, err
	}
	switch {
	case cfg.MaxSpareMs == 0:
		mc.Spares = procs
	case cfg.MaxSpareMs > 0:
		mc.Spares = cfg.MaxSpareMs
	}
	if procs+mc.Spares > preempt.MaxSlots {
		return m.Config{}, fmt.Errorf("usched: Procs (%d) plus MaxSpareMs (%d) exceed %d Ms", procs, mc.Spares, preempt.MaxSlots)
	}
	for _, c := range allowed {
		if !slices.Contains(cpus, c) {
			mc.SysmonCPU = c // a CPU with no M: the sysmon costs the Ms nothing there
			break
		}
	}
	return mc, nil
}

// minQuantum is the shortest quantum: the kernel does not sample a perf
// event faster than every 10 µs, and each sample costs the M about 7 µs.
const minQuantum = 20 * time.Microsecond

// checkSignal refuses signals the escalation cannot use: those Go itself
// needs, those that cannot be caught, and the ones the kernel raises for
// faults.
func checkSignal(sig syscall.Signal) error {
	if sig < 1 || sig > 64 {
		return fmt.Errorf("usched: Config.Signal is %d; want a signal number from 1 to 64", int(sig))
	}
	switch sig {
	case syscall.SIGKILL, syscall.SIGSTOP, syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGFPE,
		syscall.SIGILL, syscall.SIGTRAP, syscall.SIGPROF, syscall.SIGURG, syscall.SIGCHLD, syscall.SIGPIPE:
		return fmt.Errorf("usched: Config.Signal is %v, which Go or the kernel needs; use SIGUSR2 (the default), SIGUSR1 or a real-time signal such as 40", sig)
	}
	return nil
}

// resolveCPUs validates the CPU part of cfg and returns the number of Ps,
// the CPU of each M (nil when not pinning) and the affinity mask.
func (cfg Config) resolveCPUs() (procs int, cpus []int, allowed []int, err error) {
	if cfg.Procs < 0 {
		return 0, nil, nil, fmt.Errorf("usched: Config.Procs is %d; want 0 (one per CPU) or more", cfg.Procs)
	}
	if cfg.Procs > maxProcs {
		return 0, nil, nil, fmt.Errorf("usched: Config.Procs is %d; at most %d are supported", cfg.Procs, maxProcs)
	}
	if cfg.Pin != PinCPU && cfg.Pin != PinNone {
		return 0, nil, nil, fmt.Errorf("usched: Config.Pin is %v; want PinCPU or PinNone", cfg.Pin)
	}
	allowed, err = affinityCPUs()
	if err != nil {
		return 0, nil, nil, err
	}
	avail := allowed
	if cfg.CPUs != nil {
		if len(cfg.CPUs) == 0 {
			return 0, nil, nil, fmt.Errorf("usched: Config.CPUs is empty; use nil for every CPU of the affinity mask")
		}
		seen := make(map[int]bool, len(cfg.CPUs))
		for _, c := range cfg.CPUs {
			if seen[c] {
				return 0, nil, nil, fmt.Errorf("usched: Config.CPUs lists CPU %d twice", c)
			}
			seen[c] = true
			if !slices.Contains(allowed, c) {
				return 0, nil, nil, fmt.Errorf("usched: Config.CPUs has CPU %d, which is not in the process's affinity mask %v", c, allowed)
			}
		}
		avail = cfg.CPUs
	}
	procs = cfg.Procs
	if procs == 0 {
		procs = len(avail)
	}
	if cfg.Pin == PinNone {
		return procs, nil, allowed, nil
	}
	cpus = make([]int, procs)
	for i := range cpus {
		cpus[i] = avail[i%len(avail)]
	}
	return procs, cpus, allowed, nil
}
