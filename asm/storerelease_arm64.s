//go:build !race

// StoreRelease for arm64; see storerelease_asm.go.

#include "textflag.h"

// func StoreRelease(addr *int64, v int64)
//
// STLR: a store-release. Earlier loads and stores of this thread are
// observed before it; a later LDAR (Go's atomic loads) may not pass it.
TEXT ·StoreRelease(SB), NOSPLIT|NOFRAME, $0-16
	MOVD	addr+0(FP), R0
	MOVD	v+8(FP), R1
	STLR	R1, (R0)
	RET
