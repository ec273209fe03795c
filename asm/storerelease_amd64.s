//go:build !race

// StoreRelease for amd64; see storerelease_asm.go.

#include "textflag.h"

// func StoreRelease(addr *int64, v int64)
//
// A plain MOV: x86-64 is TSO, so a store is never reordered with earlier
// loads or stores, and every plain store already has release semantics.
TEXT ·StoreRelease(SB), NOSPLIT, $0-16
	MOVQ	addr+0(FP), AX
	MOVQ	v+8(FP), BX
	MOVQ	BX, (AX)
	RET
