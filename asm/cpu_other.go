//go:build !linux

package asm

// tscAuxIsCPU reports whether the kernel keeps the current CPU number in
// the x86 TSC_AUX register. Only Linux is known to; Windows and the BSDs
// put other things there or nothing.
const tscAuxIsCPU = false

// getcpu returns -1: this OS has no cheap way to ask which CPU a thread
// runs on (macOS has none at all).
func getcpu() int { return -1 }
