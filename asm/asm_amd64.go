package asm

// None of the assembly functions takes a pointer, so none needs
// //go:noescape: that directive only tells escape analysis that pointer
// arguments do not escape.

// Pause executes one PAUSE instruction: a hint to the CPU that the caller
// is in a spin-wait loop. It saves power, frees execution resources for a
// sibling hyper-thread and avoids the memory-order mis-speculation penalty
// when the loop exits. How long it takes depends on the microarchitecture,
// from about 10 to about 140 cycles, so a spin loop should bound its
// iterations and not assume a duration per call.
func Pause()

// Cycles returns the time-stamp counter (RDTSC). On CPUs with an invariant
// TSC, which is every x86-64 CPU of the last decade, it ticks at a constant
// rate whatever the core's current frequency, and CPUs are synchronised;
// [CyclesPerNanosecond] gives the rate. The read is not serialised against
// surrounding instructions (see asm_amd64.s), so it may be off by up to a
// few hundred cycles.
func Cycles() uint64

// rdtscpAux returns IA32_TSC_AUX by way of RDTSCP. Only valid when
// hasRDTSCP.
func rdtscpAux() uint32

// rdpid returns IA32_TSC_AUX by way of RDPID. Only valid when hasRDPID.
func rdpid() uint32

// cpuid executes CPUID with EAX=eaxArg, ECX=ecxArg.
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

// How CPU finds the current CPU; chosen once by init, read-only afterwards.
const (
	cpuBySyscall = iota // getcpu(2), or -1 where there is none
	cpuByRDTSCP         // low 12 bits of TSC_AUX, read by RDTSCP
	cpuByRDPID          // low 12 bits of TSC_AUX, read by RDPID
)

var (
	// hasRDTSCP and hasRDPID report what CPUID says the CPU has. Set by
	// init, read-only afterwards.
	hasRDTSCP, hasRDPID bool

	// cpuMode is one of the cpuBy constants. Set by init, read-only
	// afterwards.
	cpuMode = cpuBySyscall
)

func init() {
	maxStd, _, _, _ := cpuid(0, 0)
	if maxStd >= 7 {
		// CPUID.(EAX=07H, ECX=0):ECX[bit 22] = RDPID.
		_, _, ecx, _ := cpuid(7, 0)
		hasRDPID = ecx&(1<<22) != 0
	}
	maxExt, _, _, _ := cpuid(0x80000000, 0)
	if maxExt >= 0x80000001 {
		// CPUID.80000001H:EDX[bit 27] = RDTSCP.
		_, _, _, edx := cpuid(0x80000001, 0)
		hasRDTSCP = edx&(1<<27) != 0
	}
	cpuMode = chooseCPUMode(hasRDPID, hasRDTSCP)
}

// chooseCPUMode picks the cheapest way to learn the current CPU among those
// the CPU has and the OS makes meaningful.
func chooseCPUMode(rdpidOK, rdtscpOK bool) int {
	if !tscAuxIsCPU {
		return cpuBySyscall
	}
	// Both instructions read TSC_AUX, which is only worth reading if the
	// kernel put the CPU number there. Some hypervisors advertise RDTSCP
	// without maintaining TSC_AUX, so check against the system call.
	switch {
	case rdpidOK && tscAuxAgrees(rdpid):
		return cpuByRDPID
	case rdtscpOK && tscAuxAgrees(rdtscpAux):
		return cpuByRDTSCP
	}
	return cpuBySyscall
}

// tscAuxAgrees reports whether read() gives the CPU number that getcpu(2)
// gives. The thread may migrate between the reads, so a disagreement counts
// only when getcpu answered the same before and after; if no attempt is
// conclusive, trust the CPU.
func tscAuxAgrees(read func() uint32) bool {
	for range 8 {
		before := getcpu()
		aux := int(read() & tscAuxCPUMask)
		after := getcpu()
		if before < 0 || before != after {
			continue
		}
		return aux == before
	}
	return true
}

// CPU returns the number of the CPU the calling thread is running on, or -1
// where the operating system offers no way to ask (every OS but Linux).
// The answer may be stale by the time the caller uses it: unless the thread
// is pinned to one CPU, it may migrate at any moment.
//
// On Linux it reads TSC_AUX, where the kernel keeps the CPU number
// (in the low 12 bits; the NUMA node is above them), with RDPID (a few ns)
// or, on CPUs without RDPID, RDTSCP (a few tens of cycles). Without either,
// it makes the getcpu(2) system call (around 100 ns or more, much more
// under some hypervisors).
func CPU() int {
	switch cpuMode {
	case cpuByRDPID:
		return int(rdpid() & tscAuxCPUMask)
	case cpuByRDTSCP:
		return int(rdtscpAux() & tscAuxCPUMask)
	}
	return getcpu()
}

// tscAuxCPUMask selects the CPU number from TSC_AUX as Linux sets it
// (vdso_encode_cpunode in arch/x86: cpu | node<<12). Machines with more
// than 4096 CPUs would need the system call instead.
const tscAuxCPUMask = 1<<12 - 1
