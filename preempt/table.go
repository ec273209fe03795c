package preempt

import (
	"fmt"
	"sync/atomic"
	"unsafe"
)

// SlotSize is the size of a Slot: three cache lines, one per writer.
const SlotSize = 192

// MaxSlots bounds the table: one slot per M, spare Ms included. The eBPF
// map has exactly this many entries.
const MaxSlots = 256

// Slot is one M's row of the table shared by the M, the watcher (sysmon or
// BPF) and the Go code that escalates. Its layout is mirrored by struct
// mslot in bpf/quantum.bpf.c; TestSlotLayout holds the two together.
//
// Each cache line has one writer, so that the M's per-G store never
// contends with the watcher's.
//
//   - Line 0, written by the M: Seq, TID, Watch and Syscall.
//   - Line 1, written by the watcher: Preempt, Signaled, LastSeq, Strikes
//     and the counters. The M also clears Preempt, but only after the
//     watcher set it (rare).
//   - Line 2: Handled, written by Go's escalation path; then Blocks,
//     ForeignPreempts, SwitchOutTS, OffCPU and LastKind, written by the
//     eBPF sched_switch reporter (bpf/quantum.bpf.c, on_switch) while the
//     slot is watched (watch puts its TID in the reporter's map; unwatch
//     takes it out). The two writers never share a word (watch also
//     clears OffCPU, before it hands the slot to the reporter), and the M
//     never writes this line, so the switch stores do not slow its Seq
//     stores. With the sysmon watcher, or before the reporter is started,
//     the reporter's fields stay 0.
//
// Seq is stored with a plain store by the M (SetSeq), because sync/atomic's
// store is a locked exchange on amd64 (about 9 ns here, more than a tenth
// of a tiny G). The table lives in memory mapped outside Go's heap and the
// word is aligned, so the store is single-copy atomic on every platform
// Go supports, and readers use atomic loads; BPF shares this memory under
// the same rules.
type Slot struct {
	// Seq identifies the G running on the M: a per-M counter bumped at
	// every G start and resume, never 0 while a G runs; 0 while the M is in
	// the scheduler (searching, spinning or parked). Owner: the M.
	Seq uint64
	// TID is the M's thread ID; 0 marks an unused slot. Owner: the M, set
	// before the slot is watched.
	TID uint32
	// Watch is 1 while the watcher should look at this slot.
	Watch uint32
	// Syscall is the asm.Cycles count (with the low bit set, so never 0)
	// at which the M entered a hooked system call; 0 while it is not in
	// one. A cycle count, not a clock read, because the hook must cost a
	// call that does not block under 100 ns. Owner: the M; the sysmon
	// reads it, and the sched_switch reporter copies it into the events
	// it sends, so that a block in a hooked call can be told from an
	// unhooked one.
	Syscall uint64
	_       [40]byte

	// Preempt is the Seq of the G the watcher flagged as having run a
	// quantum; 0 when none. G.Check polls it. Written by the watcher, and
	// cleared by the M when it starts the next G.
	Preempt uint64
	// Signaled is the Seq of the G that ran two quanta without polling
	// and was escalated: signalled by BPF, or handed to Go directly by
	// sysmon. Written by the watcher.
	Signaled uint64
	// LastSeq and Strikes are the watcher's memory: the Seq seen at its
	// previous tick and for how many ticks in a row it has not changed.
	LastSeq uint64
	Strikes uint64
	// Ticks, Flags, Signals and SigFails count the watcher's ticks, the
	// Gs flagged, the escalations signalled and failed signal sends.
	Ticks    uint64
	Flags    uint64
	Signals  uint64
	SigFails uint64

	// Handled is the Seq of the last escalation Go's escalation path has
	// acted on, so that a signal and a later scan do not hand one G's P off
	// twice. Written by the escalation path only.
	Handled uint64

	// The rest of line 2 is written by the sched_switch reporter, on the
	// CPU the M leaves or enters, and only while the M's thread is in the
	// reporter's map (watched); it is the live state that events are not
	// sent for. Readers use atomic loads.
	//
	// Blocks counts the M's switch-outs in which it blocked (slept in the
	// kernel: a system call, a futex, a page fault), and ForeignPreempts
	// those in which another process's thread took its CPU while it could
	// still run. A switch-out to another thread of this process is counted
	// in neither (see SwitchKind). Like the watcher's counters, they count
	// from the table's creation and go on across Ms that use the slot.
	Blocks          uint64
	ForeignPreempts uint64
	// SwitchOutTS is bpf_ktime_get_ns (CLOCK_MONOTONIC, in ns) at the M's
	// last switch-out.
	SwitchOutTS uint64
	// OffCPU is 1 from the M's switch-out to its next switch-in. It is
	// exact from the M's first switch after watch: watch clears it, so a
	// slot taken over from an M that was switched out does not start at 1.
	OffCPU uint32
	// LastKind is the kind of the last switch-out: SwitchBlock,
	// SwitchPreemptForeign, or SwitchPreemptOwn (not reported in events).
	LastKind uint32
	_        [24]byte
}

var _ [SlotSize - unsafe.Sizeof(Slot{})]byte
var _ [unsafe.Sizeof(Slot{}) - SlotSize]byte

// SetSeq publishes the identity of the G the M starts now (0: none). M only.
func (s *Slot) SetSeq(seq uint64) { s.Seq = seq }

// LoadSeq reads Seq. Any thread.
func (s *Slot) LoadSeq() uint64 { return atomic.LoadUint64(&s.Seq) }

// PreemptWord returns the address of the word G.Check polls.
func (s *Slot) PreemptWord() *uint64 { return &s.Preempt }

// Overran reports whether the watcher has flagged the running G. M only;
// one load.
func (s *Slot) Overran() bool { return atomic.LoadUint64(&s.Preempt) != 0 }

// ClearPreempt clears the flag. M only, after Overran reported true.
func (s *Slot) ClearPreempt() { atomic.StoreUint64(&s.Preempt, 0) }

// Table is the array of Slots, in memory mapped outside Go's heap: an
// anonymous mapping for the sysmon watcher, the eBPF map's own memory when
// eBPF is in force (BPF_F_MMAPABLE), so that both watchers and the Ms use
// one layout and one code path.
type Table struct {
	mem   []byte
	slots []Slot
	unmap func([]byte) error
}

// newTable wraps mapped memory of at least n slots.
func newTable(mem []byte, n int, unmap func([]byte) error) (*Table, error) {
	if n <= 0 || n > MaxSlots {
		return nil, fmt.Errorf("usched: preempt table of %d slots; want 1 to %d", n, MaxSlots)
	}
	if len(mem) < n*SlotSize {
		return nil, fmt.Errorf("usched: preempt table needs %d bytes, mapping has %d", n*SlotSize, len(mem))
	}
	slots := unsafe.Slice((*Slot)(unsafe.Pointer(unsafe.SliceData(mem))), n)
	return &Table{mem: mem, slots: slots, unmap: unmap}, nil
}

// Len returns the number of slots.
func (t *Table) Len() int { return len(t.slots) }

// Slot returns slot i.
func (t *Table) Slot(i int) *Slot { return &t.slots[i] }

// close unmaps the memory. No M may touch a slot afterwards.
func (t *Table) close() error {
	if t.unmap == nil || t.mem == nil {
		return nil
	}
	mem := t.mem
	t.mem, t.slots = nil, nil
	return t.unmap(mem)
}

// Reflag sets the preempt word to seq again, for the escalation path.
func (s *Slot) Reflag(seq uint64) { atomic.StoreUint64(&s.Preempt, seq) }
