// Assembly for amd64. See asm_amd64.go for the declarations and doc.go for
// the contract every function here keeps.

#include "textflag.h"

// func Pause()
TEXT ·Pause(SB), NOSPLIT, $0-0
	PAUSE
	RET

// func Cycles() uint64
//
// A bare RDTSC, deliberately not serialised. RDTSC may execute before
// earlier instructions finish and after later ones start, so a reading can
// be off by the depth of the out-of-order window (tens to a few hundred
// cycles, well under 100 ns). usched uses Cycles for time stamps and for
// intervals of microseconds (preemption quanta, latencies), where that error
// is noise, while LFENCE;RDTSC or RDTSCP (what runtime·cputicks does, since
// it wants precise profiling ticks) would add 10-40 cycles to every call.
// Successive reads on one CPU do not go backwards in practice; the tests
// check that.
TEXT ·Cycles(SB), NOSPLIT, $0-8
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+0(FP)
	RET

// func rdtscpAux() uint32
//
// Returns IA32_TSC_AUX, which RDTSCP loads into ECX. The TSC it also reads
// (EDX:EAX) is discarded.
TEXT ·rdtscpAux(SB), NOSPLIT, $0-4
	RDTSCP
	MOVL	CX, ret+0(FP)
	RET

// func rdpid() uint32
//
// Returns IA32_TSC_AUX through RDPID, which reads only that register and is
// cheaper than RDTSCP. The caller must have checked CPUID first: on a CPU
// without RDPID this faults (SIGILL).
TEXT ·rdpid(SB), NOSPLIT, $0-4
	RDPID	AX
	MOVL	AX, ret+0(FP)
	RET

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL	eaxArg+0(FP), AX
	MOVL	ecxArg+4(FP), CX
	CPUID
	MOVL	AX, eax+8(FP)
	MOVL	BX, ebx+12(FP)
	MOVL	CX, ecx+16(FP)
	MOVL	DX, edx+20(FP)
	RET
