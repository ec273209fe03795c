package preempt

// The eBPF watcher's program, bpf/quantum.bpf.c, is compiled by bpf2go into
// quantum_bpfel.go/.o (little-endian targets) and quantum_bpfeb.go/.o
// (big-endian ones, so that every Linux port still builds). The outputs are
// committed: building usched needs no clang. To regenerate, install Debian's
// clang, llvm (llvm-strip) and libbpf-dev (bpf_helpers.h), then run
// "go generate ./preempt"; CI (.ci/run) fails if the result differs from
// the committed files. -type mslot emits quantumMslot, which TestSlotLayout
// compares with Slot; -type swevent emits quantumSwevent, whose offsets
// decodeSwitch reads the ring buffer's records with.
//
//go:generate go tool bpf2go -cc clang -strip llvm-strip -tags linux -target bpfel,bpfeb -type mslot -type swevent quantum bpf/quantum.bpf.c -- -I./bpf -O2 -g -Wall -Werror
