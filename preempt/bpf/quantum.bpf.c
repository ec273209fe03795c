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
 * in step (see preempt/watcher.go).
 *
 * on_switch: the sched_switch reporter, in the same object so that it
 * shares the table. It runs at every context switch on every CPU, keeps
 * the live on/off-CPU state of each watched M in its slot, and tells Go
 * through a ring buffer when an M blocks in the kernel while it runs a G
 * (so that Go hands the M's work to another thread at once) or when
 * another process's thread takes an M's CPU. See on_switch below. */
#include "types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* One row per M, shared with Go through the mmapped map below. The layout
 * mirrors preempt.Slot field for field (TestSlotLayout compares them):
 * three cache lines, each with a single writer, so that the M's store of
 * Seq never shares a line with the watcher's stores. */
struct mslot {
	/* line 0, written by the M */
	__u64 seq;     /* switch counter of the running G; 0: no G */
	__u32 tid;     /* the M's thread ID; 0: slot unused */
	__u32 watch;   /* 1 while the slot is to be checked */
	__u64 syscall; /* CLOCK_MONOTONIC ns at entry to a hooked call; 0: none */
	__u8 _pad0[40];

	/* line 1, written by this program (the M clears preempt) */
	__u64 preempt;   /* seq flagged as having run a quantum */
	__u64 signaled;  /* seq escalated with a signal */
	__u64 last_seq;  /* seq seen at the previous tick */
	__u64 strikes;   /* ticks in a row with seq unchanged */
	__u64 ticks;
	__u64 flags;
	__u64 signals;
	__u64 sig_fails;

	/* line 2: handled is written by Go's escalation path, the rest by
	 * on_switch */
	__u64 handled;
	__u64 blocks;           /* switch-outs of kind SW_BLOCK */
	__u64 foreign_preempts; /* switch-outs of kind SW_PREEMPT_FOREIGN */
	__u64 switch_out_ts;    /* bpf_ktime_get_ns at the last switch-out */
	__u32 off_cpu;          /* 1 from switch-out to the next switch-in */
	__u32 last_kind;        /* kind of the last switch-out */
	__u8 _pad1[24];
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

/* Kinds of switch-out, as preempt.SwitchKind. */
#define SW_BLOCK 1           /* the M went to sleep in the kernel */
#define SW_PREEMPT_FOREIGN 2 /* a thread of another process took its CPU */
#define SW_PREEMPT_OWN 3     /* a thread of this process took its CPU */

/* One report to Go; preempt.SwitchEvent. 40 bytes, no holes, so that the
 * 8-byte-aligned ring-buffer record carries no uninitialised padding. */
struct swevent {
	__u32 slot;
	__u32 kind;
	__u64 ts;         /* bpf_ktime_get_ns at the switch-out */
	__u64 seq;        /* the slot's seq then: which G was running */
	__u64 syscall;    /* the slot's syscall then: 0 if not in a hooked call */
	__u32 next_tid;   /* the thread that got the CPU */
	__u32 prev_state; /* the M's task state; usually 0 for a preemption */
};

/* Thread ID of each watched M -> its slot. Go keeps it (watch inserts,
 * unwatch deletes); at most one entry per slot, so MaxSlots entries. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} mtids SEC(".maps");

/* The reports. 256 KiB holds about 5 400 events: enough for the reader to
 * be kept off a CPU for several scheduler ticks while every M blocks as
 * fast as it can. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} swevents SEC(".maps");

/* This process's ID (the thread group ID, as the kernel sees it), set by Go
 * at load: one comparison per side keeps almost every switch on the
 * machine out of the map lookups. 0 (unset) disables the program. */
volatile const __u32 cfg_tgid = 0;
/* Which kinds to send to Go, bit (1 << kind). Only those the runtime acts
 * on: each event wakes the reader thread, and the wake-up can preempt an
 * M, which with SW_PREEMPT_OWN reported would be another event, and so on
 * (a feedback loop measured at 38 000 events/s). */
volatile const __u32 cfg_report_mask = (1 << SW_BLOCK) | (1 << SW_PREEMPT_FOREIGN);

/* Events not sent because the ring buffer was full: blocks the runtime did
 * not hear of, left to the quantum watcher's escalation to catch. Go reads
 * it through the .bss map. */
__u64 sw_lost;

/* Puts struct swevent into the BTF, where bpf2go -type swevent finds it:
 * clang emits types only for globals and function signatures, not for what
 * a pointer into the ring buffer points to. Beside sw_lost it costs
 * 8 bytes of .bss and no map. */
const struct swevent *unused_swevent __attribute__((unused));

/* The slot of the watched M with thread ID tid, or NULL. The slot's own tid
 * must agree with the map: an entry outlives the thread that Go removed
 * from the slot by the one switch in flight, and must not write a slot
 * handed to a new M. */
static __always_inline struct mslot *slot_of(__u32 tid, __u32 *idx)
{
	struct mslot *s;
	__u32 *p;

	p = bpf_map_lookup_elem(&mtids, &tid);
	if (!p)
		return NULL;
	*idx = *p;
	s = bpf_map_lookup_elem(&mstate, idx);
	if (!s || READ_ONCE(s->tid) != tid)
		return NULL;
	return s;
}

/* tp_btf: the arguments are the kernel's own (typed, BTF-checked) rather
 * than the tracepoint's formatted copy, so prev and next are task_struct
 * pointers the program may read directly. The tracepoint fires in
 * __schedule with the runqueue locked, before the switch, on the CPU that
 * switches; prev is current. */
SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	struct swevent *ev;
	struct mslot *s;
	__u32 idx, kind;
	__u64 now, seq;
	int prev_ours, next_ours;

	/* A constant: the verifier drops the program's body if Go did not
	 * set it, rather than have tgid 0 match the idle task. */
	if (!cfg_tgid)
		return 0;
	prev_ours = (__u32)prev->tgid == cfg_tgid;
	next_ours = (__u32)next->tgid == cfg_tgid;

	if (prev_ours && (s = slot_of(prev->pid, &idx))) {
		/* Blocked: the M gave up the CPU (not preempted) in a sleeping
		 * state (the low byte: interruptible, uninterruptible, stopped,
		 * traced, dead). A voluntary switch that stays runnable
		 * (sched_yield) counts as a preemption. */
		if (!preempt && (prev_state & 0xff))
			kind = SW_BLOCK;
		else if (!next_ours)
			kind = SW_PREEMPT_FOREIGN;
		else
			kind = SW_PREEMPT_OWN;
		now = bpf_ktime_get_ns();
		seq = READ_ONCE(s->seq);

		/* off_cpu last: on a strongly ordered CPU (x86) a reader that
		 * sees it set also sees the time and kind of this switch-out.
		 * BPF has no store-release, so weaker CPUs do not promise it. */
		WRITE_ONCE(s->switch_out_ts, now);
		WRITE_ONCE(s->last_kind, kind);
		if (kind == SW_BLOCK)
			WRITE_ONCE(s->blocks, s->blocks + 1);
		else if (kind == SW_PREEMPT_FOREIGN)
			WRITE_ONCE(s->foreign_preempts, s->foreign_preempts + 1);
		WRITE_ONCE(s->off_cpu, 1);

		/* An M that blocks with no G (seq 0) is parking in its
		 * scheduler for want of work: nothing for Go to rescue, and
		 * reporting every idle park would wake the reader as often. */
		if (!(cfg_report_mask & (1U << kind)) || (kind == SW_BLOCK && !seq))
			goto in;
		/* Flags 0: adaptive wake-up. The kernel wakes the reader only
		 * if it has consumed everything before this event, i.e. when it
		 * may be asleep; a reader already draining is not woken
		 * again. The wake-up itself is deferred (irq_work) since the
		 * runqueue is locked here. */
		ev = bpf_ringbuf_reserve(&swevents, sizeof(*ev), 0);
		if (!ev) {
			__sync_fetch_and_add(&sw_lost, 1);
			goto in;
		}
		ev->slot = idx;
		ev->kind = kind;
		ev->ts = now;
		ev->seq = seq;
		ev->syscall = READ_ONCE(s->syscall);
		ev->next_tid = next->pid;
		ev->prev_state = prev_state;
		bpf_ringbuf_submit(ev, 0);
	}
in:
	/* Switch-in: the M runs again. */
	if (next_ours && (s = slot_of(next->pid, &idx)))
		WRITE_ONCE(s->off_cpu, 0);
	return 0;
}

/* The license the kernel records for the programs. quantum_tick uses no
 * GPL-only helper and would load under any string, but on_switch needs a
 * GPL-compatible one: the verifier lets only such programs read kernel
 * structs (prev->tgid) through BTF pointers ("Cannot access kernel 'struct
 * task_struct' from non-GPL compatible program"). */
char LICENSE[] SEC("license") = "Dual MIT/GPL";
