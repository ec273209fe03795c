package asm

// HasRDPID and HasRDTSCP report what CPUID said. (Functions, not copies:
// package-level vars are initialised before init runs the probe.)
func HasRDPID() bool  { return hasRDPID }
func HasRDTSCP() bool { return hasRDTSCP }

// CPUMethods returns, by name, every way of reading the current CPU that
// this CPU and OS offer, whether or not CPU uses it.
func CPUMethods() map[string]func() int {
	methods := map[string]func() int{"getcpu": getcpu}
	if tscAuxIsCPU && hasRDPID {
		methods["RDPID"] = func() int { return int(rdpid() & tscAuxCPUMask) }
	}
	if tscAuxIsCPU && hasRDTSCP {
		methods["RDTSCP"] = func() int { return int(rdtscpAux() & tscAuxCPUMask) }
	}
	return methods
}

// CPUMode names the method CPU uses.
func CPUMode() string {
	switch cpuMode {
	case cpuByRDPID:
		return "RDPID"
	case cpuByRDTSCP:
		return "RDTSCP"
	}
	return "getcpu"
}
