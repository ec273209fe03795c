// Assembly for arm64. See asm_arm64.go for the declarations and doc.go for
// the contract every function here keeps.

#include "textflag.h"

// func Pause()
TEXT ·Pause(SB), NOSPLIT|NOFRAME, $0-0
	YIELD
	RET

// func Cycles() uint64
//
// A bare read of the virtual counter, without the ISB that Linux's vDSO
// puts before it. Like RDTSC on amd64 (see asm_amd64.s), the read may then
// be taken a little early or late relative to surrounding instructions;
// that error is far below the counter's own resolution (tens of ns at the
// common 24-100 MHz), and an ISB would drain the pipeline on every call.
TEXT ·Cycles(SB), NOSPLIT|NOFRAME, $0-8
	MRS	CNTVCT_EL0, R0
	MOVD	R0, ret+0(FP)
	RET
