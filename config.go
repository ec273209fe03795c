package usched

import (
	"fmt"
	"slices"
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
// the number of Ps and the CPU of each M (nil when not pinning).
func (cfg Config) resolve() (procs int, cpus []int, err error) {
	if cfg.Procs < 0 {
		return 0, nil, fmt.Errorf("usched: Config.Procs is %d; want 0 (one per CPU) or more", cfg.Procs)
	}
	if cfg.Procs > maxProcs {
		return 0, nil, fmt.Errorf("usched: Config.Procs is %d; at most %d are supported", cfg.Procs, maxProcs)
	}
	if cfg.Pin != PinCPU && cfg.Pin != PinNone {
		return 0, nil, fmt.Errorf("usched: Config.Pin is %v; want PinCPU or PinNone", cfg.Pin)
	}
	allowed, err := affinityCPUs()
	if err != nil {
		return 0, nil, err
	}
	avail := allowed
	if cfg.CPUs != nil {
		if len(cfg.CPUs) == 0 {
			return 0, nil, fmt.Errorf("usched: Config.CPUs is empty; use nil for every CPU of the affinity mask")
		}
		seen := make(map[int]bool, len(cfg.CPUs))
		for _, c := range cfg.CPUs {
			if seen[c] {
				return 0, nil, fmt.Errorf("usched: Config.CPUs lists CPU %d twice", c)
			}
			seen[c] = true
			if !slices.Contains(allowed, c) {
				return 0, nil, fmt.Errorf("usched: Config.CPUs has CPU %d, which is not in the process's affinity mask %v", c, allowed)
			}
		}
		avail = cfg.CPUs
	}
	procs = cfg.Procs
	if procs == 0 {
		procs = len(avail)
	}
	if cfg.Pin == PinNone {
		return procs, nil, nil
	}
	cpus = make([]int, procs)
	for i := range cpus {
		cpus[i] = avail[i%len(avail)]
	}
	return procs, cpus, nil
}
