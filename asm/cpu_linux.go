package asm

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// tscAuxIsCPU reports whether the kernel keeps the current CPU number in
// the x86 TSC_AUX register (Linux does, for its vDSO getcpu).
const tscAuxIsCPU = true

// getcpu returns the current CPU number from the getcpu(2) system call, or
// -1 if the call fails (it cannot, short of seccomp forbidding it).
//
// x/sys/unix has no Getcpu wrapper, hence the raw call. It is RawSyscall,
// not Syscall, because getcpu never blocks: telling the Go scheduler about
// the call would only add cost. cpu does not escape (RawSyscall's pointer
// argument is kept alive for the call and no longer), so this does not
// allocate; TestNoAllocs checks it.
func getcpu() int {
	var cpu uint32
	_, _, errno := unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), 0, 0)
	if errno != 0 {
		return -1
	}
	return int(cpu)
}
