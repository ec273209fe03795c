/* quantum_tick: the eBPF quantum watcher of usched's package preempt.
 *
 * One task-clock perf event per watched M (an OS thread) fires every
 * quantum of that thread's CPU time, in user mode only (exclude_kernel),
 * and runs quantum_tick on the M's own CPU while it interrupts the M. The
 * program counts, in the M's slot of the shared table, how many ticks in a
 * row the M's Seq stayed the same:
 *
 *   - first strike: the G has run at least a quantum (one full tick
 *     period since a tick saw it start), so flag it: Preempt = Seq. The G
 *     sees the flag at its next poll (G.Check).
 *   - second strike onwards: the G is still running a tick later, so it
 *     has not yielded at a poll; escalate, once per G, with a signal to
 *     the M thread, and Go then hands the M's P to a spare M.
 *
 * The sysmon fallback in Go runs the same logic line for line; keep the two
 * in step (see preempt/watcher.go). */
#include "types.h"
#include <bpf/bpf_helpers.h>

/* One row per M, shared with Go through the mmapped map below. The layout
 * mirrors preempt.Slot field for field (TestSlotLayout compares them):
 * three cache lines, each with a single writer, so that the M's store of
 * Seq never shares a line with the watcher's stores. */
struct mslot {
	/* line 0, written by the M */
	__u64 seq;   /* switch counter of the running G; 0: no G */
	__u32 tid;   /* the M's thread ID; 0: slot unused */
	__u32 watch; /* 1 while the slot is to be checked */
	__u8 _pad0[48];

	/* line 1, written by this program (the M clears preempt) */
	__u64 preempt;   /* seq flagged as having run a quantum */
	__u64 signaled;  /* seq escalated with a signal */
	__u64 last_seq;  /* seq seen at the previous tick */
	__u64 strikes;   /* ticks in a row with seq unchanged */
	__u64 ticks;
	__u64 flags;
	__u64 signals;
	__u64 sig_fails;

	/* line 2, written by Go's escalation path */
	__u64 handled;
	__u8 _pad1[56];
};

/* The table. BPF_F_MMAPABLE lets Go map the array's memory into the
 * process, so the Ms and this program share one copy and neither side
 * pays a syscall. 256 entries: preempt.MaxSlots. The value type puts
 * struct mslot into the BTF, where bpf2go -type mslot finds it; no anchor
 * variable is needed (one would cost a .bss map). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct mslot);
} mstate SEC(".maps");

/* The escalation signal, set by Go at load time (rodata: the verifier sees
 * a constant). SIGUSR2's number differs between architectures, so Go always
 * sets it; 0 here would make every send fail with EINVAL. */
volatile const __u32 cfg_signal = 0;

SEC("perf_event")
int quantum_tick(void *ctx)
{
	/* The attach cookie is the slot index Go gave this M's perf event.
	 * Every event has its own cookie, so no lookup by thread is needed. */
	__u32 idx = (__u32)bpf_get_attach_cookie(ctx);
	/* Lower 32 bits: the thread ID of current, the thread we interrupted. */
	__u32 cur = (__u32)bpf_get_current_pid_tgid();
	struct mslot *s;
	__u64 seq;
	long err;

	/* NULL for an index beyond the array; the verifier insists. */
	s = bpf_map_lookup_elem(&mstate, &idx);
	if (!s)
		return 0;
	/* The slot must belong to the thread this event samples. tid 0 is an
	 * unused slot; another tid means the slot was handed to a new M while
	 * this event was still attached. Either way the slot is not ours to
	 * count in, and a second writer would corrupt the strike count. */
	if (READ_ONCE(s->tid) == 0 || READ_ONCE(s->tid) != cur)
		return 0;

	s->ticks++;
	seq = READ_ONCE(s->seq);
	/* A new G (seq changed), no G (0: the M is in its scheduler) or a slot
	 * not being watched: the slice starts over here. */
	if (!READ_ONCE(s->watch) || seq == 0 || seq != s->last_seq) {
		s->last_seq = seq;
		s->strikes = 0;
		return 0;
	}
	s->strikes++;
	if (s->strikes == 1) {
		/* The same G for a whole tick period: flag it. The comparison
		 * keeps a G flagged earlier (and not yet cleared by the M) from
		 * counting twice. */
		if (READ_ONCE(s->preempt) != seq) {
			WRITE_ONCE(s->preempt, seq);
			s->flags++;
		}
		return 0;
	}
	/* Escalate each G once: one signal costs the M about 30 us. */
	if (READ_ONCE(s->signaled) == seq)
		return 0;
	/* bpf_send_signal_thread signals current, so send only when current
	 * is the M itself; otherwise the signal would hit another thread.
	 * The entry check already implies it; this line keeps the program
	 * equal to the shared tick logic. */
	if (cur != READ_ONCE(s->tid))
		return 0;
	err = bpf_send_signal_thread(cfg_signal);
	if (err) {
		/* E.g. EBUSY while the irq work of an earlier send is pending.
		 * signaled stays unset, so the next tick tries again. */
		s->sig_fails++;
		return 0;
	}
	WRITE_ONCE(s->signaled, seq);
	s->signals++;
	return 0;
}

/* The license the kernel records for the program. None of the helpers used
 * here is GPL-only (the program also loads under a proprietary string), so
 * this does not gate loading; a GPL-only helper added later would need a
 * GPL-compatible string such as this one. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";
