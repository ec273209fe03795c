/* Hand-declared kernel types for quantum.bpf.c.
 *
 * The programs need only fixed-width integers, a few constants of the BPF
 * UAPI and two fields of struct task_struct, so they declare them here
 * instead of including a 2.8 MB vmlinux.h generated from one kernel, or
 * <linux/bpf.h>, whose <asm/...> includes are not on clang's path for the
 * bpf target. The constants are UAPI: they never change. */
#ifndef USCHED_TYPES_H
#define USCHED_TYPES_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
/* bpf_helper_defs.h names these in prototypes we do not call. */
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u64 __be64;
typedef __u32 __wsum;
/* sched_switch's first argument. */
typedef _Bool bool;

/* enum bpf_map_type, include/uapi/linux/bpf.h */
#define BPF_MAP_TYPE_HASH 1
#define BPF_MAP_TYPE_ARRAY 2
#define BPF_MAP_TYPE_RINGBUF 27
/* map_flags, include/uapi/linux/bpf.h: the array can be mmapped (5.5). */
#define BPF_F_MMAPABLE (1U << 10)

/* The two fields of struct task_struct (include/linux/sched.h) that
 * on_switch reads. Their offsets depend on the kernel's configuration;
 * preserve_access_index makes clang record each access as a CO-RE
 * relocation, which cilium/ebpf resolves against the running kernel's BTF
 * at load, so the declared order and padding here do not matter. pid is
 * the thread ID, tgid the process ID, both as seen from the initial PID
 * namespace. */
struct task_struct {
	int pid;
	int tgid;
} __attribute__((preserve_access_index));

/* Single-copy-atomic access to words that another thread (the M, or Go's
 * escalation path) writes concurrently, as in the kernel's own macros:
 * the volatile access keeps the compiler from tearing, fusing or
 * re-reading the load. */
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#endif
