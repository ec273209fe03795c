package preempt

// The eBPF watcher: bpf/quantum.bpf.c's quantum_tick program, run by one
// task-clock perf event per watched M, on the table that Go and BPF share;
// and, once startSwitches is called, its on_switch program, the
// sched_switch reporter (switch_reader_linux.go).
//
// Why a task-clock event per M thread and not a per-CPU clock or bpf_timer:
// its hrtimer runs only while that thread is on a CPU, so a parked or
// blocked M costs nothing, and the program runs on the M's CPU while it
// interrupts the M, so bpf_send_signal_thread reaches the M itself with no
// IPI. exclude_kernel=1 keeps the tick out of system calls: a signal never
// turns one into EINTR, and the event can be opened under
// perf_event_paranoid=2 without CAP_PERFMON.
//
// The program learns which slot to check from the link's BPF cookie (one
// link per event), so there is no tid-to-slot map to keep in step and no
// lookup per tick. cilium/ebpf's link.RawLinkOptions has no cookie field
// (v0.22), so watch makes the BPF_LINK_CREATE call itself.
//
// on_switch is loaded only by startSwitches, not with quantum_tick: it needs
// kernel BTF, whose parsing costs every openEBPF, and a kernel that cannot
// run it may still run the quantum watcher. It shares the table and the
// thread map (mtids) with the objects openEBPF loaded.
//
// RLIMIT_MEMLOCK is left alone (no rlimit.RemoveMemlock). Every kernel
// that can run quantum_tick has bpf_get_attach_cookie for perf events
// (5.15), so it also charges BPF memory to the memory cgroup (5.11) and
// ignores the rlimit; and importing cilium's rlimit package would run a
// BPF probe at init in every program that links usched, eBPF in use or not.

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/usched/usched/internal/feature"
)

// ebpfSource is the loaded eBPF watcher: programs, the mmapped table, one
// perf event per watched M, and the sched_switch reporter once started.
// Its methods are safe for concurrent use.
type ebpfSource struct {
	mu     sync.Mutex
	closed bool // protected by mu
	// spec is the object file, with its constants set, from which
	// startSwitches loads on_switch. Protected by mu.
	spec *ebpf.CollectionSpec
	// objs holds quantum_tick and the maps; protected by mu, closed once.
	objs tickObjects
	// mem is the map's memory, mapped into the process; nil after close.
	// Protected by mu (the Ms use it through a Table, not through here).
	mem []byte
	// ticks holds the perf event and link of each watched slot, and tids
	// the slot of each thread in mtids (the kernel's copy of it). Protected
	// by mu.
	ticks map[int]tickEvent
	tids  map[int]int
	// sw is the running sched_switch reporter; nil until startSwitches.
	// Protected by mu.
	sw *switchReporter
}

// tickObjects are the objects openEBPF loads: bpf2go's quantumObjects less
// on_switch and the maps only it uses (see the top of this file). The
// names are those of bpf/quantum.bpf.c; loading fails if one is missing.
type tickObjects struct {
	QuantumTick *ebpf.Program `ebpf:"quantum_tick"`
	Mstate      *ebpf.Map     `ebpf:"mstate"`
	Mtids       *ebpf.Map     `ebpf:"mtids"`
}

// Close closes the objects. cilium's Close methods accept nil, so objects
// that were never loaded need no check.
func (o *tickObjects) Close() error {
	return errors.Join(o.QuantumTick.Close(), o.Mstate.Close(), o.Mtids.Close())
}

// tickEvent is one watched slot's thread, perf event, and the BPF link
// that runs quantum_tick on it.
type tickEvent struct {
	tid    int
	perfFD int
	linkFD int
}

// tableBytes is the size of the table, and of the map's memory: 48 KiB,
// a whole number of pages as mmap of an array map requires.
const tableBytes = MaxSlots * SlotSize

// maxSignal is the largest signal number accepted. The kernel's limit
// (_NSIG) is 64 on every Linux port but MIPS (128); numbers in between
// would make every send fail, so they are refused at load.
const maxSignal = 64

// openEBPF loads the objects with the given signal and returns the mmapped
// table memory (MaxSlots*SlotSize bytes, shared with BPF).
//
// Errors begin "usched: eBPF watcher:". When the cause is missing privilege
// (EPERM, EACCES) or a kernel without a feature the program needs
// (ebpf.ErrNotSupported, a verifier rejection), the error matches
// feature.ErrNotSupported and says in words what is missing.
func openEBPF(sig syscall.Signal) (*ebpfSource, []byte, error) {
	if sig < 1 || sig > maxSignal {
		return nil, nil, fmt.Errorf("usched: eBPF watcher: signal %d; want 1 to %d", int(sig), maxSignal)
	}
	spec, err := loadQuantum()
	if err != nil {
		return nil, nil, fmt.Errorf("usched: eBPF watcher: %w", err)
	}
	// The object file and Slot are generated and written apart;
	// TestSlotLayout keeps them equal, and this keeps a stale object from
	// loading with a table of the wrong shape.
	if ms := spec.Maps[quantumMapMstate]; ms == nil || ms.MaxEntries != MaxSlots || ms.ValueSize != SlotSize {
		return nil, nil, fmt.Errorf("usched: eBPF watcher: map %s in the object does not match Slot (%d entries of %d bytes): regenerate with go generate ./preempt", quantumMapMstate, MaxSlots, SlotSize)
	}
	// cfg_signal and cfg_tgid are read-only data: the verifier sees
	// constants. cfg_tgid is only used by on_switch, but is set here, in
	// the one spec both loads use. os.Getpid is the process ID in our PID
	// namespace and BPF sees the initial namespace's: the two agree
	// unless the process runs in a PID namespace of its own (a container
	// with one), where on_switch sees none of our threads, as
	// quantum_tick's thread check already fails there.
	if err := spec.Variables[quantumVarCfgSignal].Set(uint32(sig)); err != nil {
		return nil, nil, fmt.Errorf("usched: eBPF watcher: set %s: %w", quantumVarCfgSignal, err)
	}
	if err := spec.Variables[quantumVarCfgTgid].Set(uint32(os.Getpid())); err != nil {
		return nil, nil, fmt.Errorf("usched: eBPF watcher: set %s: %w", quantumVarCfgTgid, err)
	}

	e := &ebpfSource{spec: spec, ticks: make(map[int]tickEvent), tids: make(map[int]int)}
	if err := spec.LoadAndAssign(&e.objs, nil); err != nil {
		return nil, nil, tickNeeds.loadError("load program and table", err)
	}
	// MAP_SHARED on the map's FD maps the array's own pages: the Ms' plain
	// stores and BPF's see one copy, with no system call on either side.
	// The kernel zeroes them at map creation, so every slot starts unused
	// (TID 0).
	mem, err := unix.Mmap(e.objs.Mstate.FD(), 0, tableBytes, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		e.objs.Close()
		return nil, nil, tickNeeds.loadError("map the table into memory", err)
	}
	e.mem = mem
	return e, mem, nil
}

// watch starts sampling slot for thread tid every quantum of its CPU time,
// and has the sched_switch reporter follow tid as slot's M (whether or not
// it is started yet). Any goroutine may call it; the slot's TID must be
// tid already (the programs check it). Watching a slot that is already
// watched replaces its event, so at most one event ever writes a slot, and
// a thread is followed as the M of the slot it was watched in last. The
// kernel raises a period below 10 µs to 10 µs.
func (e *ebpfSource) watch(slot, tid int, quantum time.Duration) error {
	// A slot outside the map would never be checked, tid 0 would be the
	// calling thread to perf_event_open and an unused slot to BPF, and a
	// period of 0 means "no sampling" to perf: refuse all three.
	switch {
	case slot < 0 || slot >= MaxSlots:
		return fmt.Errorf("usched: eBPF watcher: slot %d; want 0 to %d", slot, MaxSlots-1)
	case tid <= 0:
		return fmt.Errorf("usched: eBPF watcher: thread ID %d for slot %d", tid, slot)
	case quantum <= 0:
		return fmt.Errorf("usched: eBPF watcher: quantum %v for slot %d; want > 0", quantum, slot)
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return errors.New("usched: eBPF watcher: watch after close")
	}
	if _, ok := e.ticks[slot]; ok {
		if err := e.unwatchLocked(slot); err != nil {
			return err
		}
	}

	attr := unix.PerfEventAttr{
		Type:   unix.PERF_TYPE_SOFTWARE,
		Config: unix.PERF_COUNT_SW_TASK_CLOCK,
		Size:   uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Sample: uint64(quantum.Nanoseconds()), // sample_period, in ns of the thread's CPU time
		// Disabled until the program is attached, so that no period
		// elapses unseen; exclude_kernel: see the top of this file.
		Bits: unix.PerfBitDisabled | unix.PerfBitExcludeKernel,
	}
	// pid = tid and cpu = -1: this one thread, on whatever CPU it runs.
	perfFD, err := unix.PerfEventOpen(&attr, tid, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		return perfError(fmt.Sprintf("open the task-clock event of thread %d", tid), err)
	}
	linkFD, err := linkPerfEvent(e.objs.QuantumTick, perfFD, uint64(slot))
	if err != nil {
		unix.Close(perfFD)
		return tickNeeds.loadError(fmt.Sprintf("attach quantum_tick to thread %d", tid), err)
	}
	if err := unix.IoctlSetInt(perfFD, unix.PERF_EVENT_IOC_ENABLE, 0); err != nil {
		unix.Close(linkFD)
		unix.Close(perfFD)
		return fmt.Errorf("usched: eBPF watcher: enable the event of thread %d: %w", tid, err)
	}
	e.ticks[slot] = tickEvent{tid: tid, perfFD: perfFD, linkFD: linkFD}

	// The slot may come from an M that was switched out when it was
	// unwatched; no switch of that M's writes it now (its thread left
	// mtids), and the caller, usually the M itself, is running, so start
	// OffCPU at 0 before the reporter takes the slot over.
	s := (*Slot)(unsafe.Pointer(&e.mem[slot*SlotSize]))
	atomic.StoreUint32(&s.OffCPU, 0)
	// A system call, about 1 µs: watch is once per M.
	if err := e.objs.Mtids.Update(uint32(tid), uint32(slot), ebpf.UpdateAny); err != nil {
		e.unwatchLocked(slot)
		return fmt.Errorf("usched: eBPF watcher: follow thread %d in slot %d at its switches: %w", tid, slot, err)
	}
	e.tids[tid] = slot
	return nil
}

// unwatch stops sampling slot (closes its perf event and link) and stops
// the sched_switch reporter following its thread. Idempotent.
//
// Called by the slot's own M, it is exact for ticks: quantum_tick runs
// only while it interrupts that thread, so no tick is in flight when
// unwatch returns. From another thread, one tick that started before may
// still finish. A switch of the thread on another CPU may likewise still
// be in on_switch, and report it. Either writes only the slot, and only
// while the slot's TID is that thread's.
func (e *ebpfSource) unwatch(slot int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.unwatchLocked(slot)
}

// unwatchLocked is unwatch with e.mu held.
func (e *ebpfSource) unwatchLocked(slot int) error {
	ev, ok := e.ticks[slot]
	if !ok {
		return nil
	}
	delete(e.ticks, slot)
	// The link holds its own reference to the event, so both must go. The
	// link first: that detaches the program, then the event stops.
	err1 := unix.Close(ev.linkFD)
	err2 := unix.Close(ev.perfFD)
	// Leave the thread in mtids if it was watched in another slot since:
	// the entry is that slot's now.
	var err3 error
	if s, ok := e.tids[ev.tid]; ok && s == slot {
		delete(e.tids, ev.tid)
		if err := e.objs.Mtids.Delete(uint32(ev.tid)); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			err3 = err
		}
	}
	if err := errors.Join(err1, err2, err3); err != nil {
		return fmt.Errorf("usched: eBPF watcher: unwatch slot %d: %w", slot, err)
	}
	return nil
}

// close stops the sched_switch reporter (detaches it and waits for its
// goroutine to return), then unwatches everything, unmaps the table memory,
// and closes all objects. Idempotent. No M may touch the table afterwards,
// and the reporter's callback must not call it (it would wait for itself).
func (e *ebpfSource) close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	sw := e.sw
	e.sw = nil
	e.mu.Unlock()

	var errs []error
	// Without the lock: the callback may be waiting for it (in watch or
	// unwatch), and the reporter ends only when the callback returns.
	// closed keeps watch and startSwitches out meanwhile.
	if sw != nil {
		errs = append(errs, sw.stop())
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	for slot := range e.ticks {
		errs = append(errs, e.unwatchLocked(slot))
	}
	if e.mem != nil {
		if err := unix.Munmap(e.mem); err != nil {
			errs = append(errs, fmt.Errorf("usched: eBPF watcher: unmap the table: %w", err))
		}
		e.mem = nil
	}
	if err := e.objs.Close(); err != nil {
		errs = append(errs, fmt.Errorf("usched: eBPF watcher: %w", err))
	}
	return errors.Join(errs...)
}

// linkPerfEvent attaches prog to the perf event perfFD with a BPF link that
// carries cookie, and returns the link's FD.
func linkPerfEvent(prog *ebpf.Program, perfFD int, cookie uint64) (int, error) {
	// The head of union bpf_attr for BPF_LINK_CREATE (include/uapi/linux/
	// bpf.h): prog_fd, target_fd, attach_type, flags, then perf_event's
	// bpf_cookie at offset 16. The kernel zero-fills the rest of the union.
	attr := struct {
		progFD     uint32
		targetFD   uint32
		attachType uint32
		flags      uint32
		bpfCookie  uint64
	}{
		progFD:     uint32(prog.FD()),
		targetFD:   uint32(perfFD),
		attachType: unix.BPF_PERF_EVENT,
		bpfCookie:  cookie,
	}
	fd, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_LINK_CREATE, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	runtime.KeepAlive(prog) // its FD must stay open through the call
	if errno != 0 {
		return -1, fmt.Errorf("bpf(BPF_LINK_CREATE): %w", errno)
	}
	// The kernel creates link FDs close-on-exec.
	return int(fd), nil
}

// unsupported wraps err, which step returned, in f: an error that says what
// the kernel or the process lacks and matches feature.ErrNotSupported.
func unsupported(step string, err error, f feature.UnsupportedFeatureError) error {
	return fmt.Errorf("usched: eBPF watcher: %w (%s: %w)", &f, step, err)
}

// progNeeds says what one of usched's BPF programs needs of the kernel, in
// the words of the errors that loading or attaching it can end in.
type progNeeds struct {
	name           string // the feature, as feature.UnsupportedFeatureError names it
	minimumVersion string // the oldest kernel that has what the program needs
	rejected       string // the reason when the verifier rejects the program
	lacking        string // the reason when cilium/ebpf reports ErrNotSupported
}

// tickNeeds is quantum_tick's: the watcher itself.
var tickNeeds = progNeeds{
	name:           "eBPF",
	minimumVersion: "5.15",
	rejected:       "the kernel's verifier rejected quantum_tick; it needs bpf_get_attach_cookie and bpf_send_signal_thread in perf_event programs",
	lacking:        "the kernel lacks mmapable array maps, perf_event links or BPF cookies",
}

// loadError wraps an error of the bpf system call, or of cilium/ebpf
// loading or attaching the objects, made during step, for the program
// that needs n.
func (n progNeeds) loadError(step string, err error) error {
	var verr *ebpf.VerifierError
	switch {
	// A rejection first: the verifier reports most of them as EACCES,
	// which is not a lack of privilege.
	case errors.As(err, &verr):
		return unsupported(step, err, feature.UnsupportedFeatureError{
			Name:           n.name,
			MinimumVersion: n.minimumVersion,
			Reason:         n.rejected,
		})
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		// The bare errno, not err: cilium appends "MEMLOCK may be too
		// low" to EPERM, which on any kernel that can run quantum_tick
		// is wrong (see the top of this file); the cause is privilege,
		// the same for every program, hence "eBPF" whatever n is.
		errno := unix.EPERM
		if errors.Is(err, unix.EACCES) {
			errno = unix.EACCES
		}
		return unsupported(step, errno, feature.UnsupportedFeatureError{
			Name:   "eBPF",
			Reason: "needs CAP_BPF and CAP_PERFMON" + capsNote(),
		})
	case errors.Is(err, ebpf.ErrNotSupported):
		return unsupported(step, err, feature.UnsupportedFeatureError{
			Name:           n.name,
			MinimumVersion: n.minimumVersion,
			Reason:         n.lacking,
		})
	}
	return fmt.Errorf("usched: eBPF watcher: %s: %w", step, err)
}

// perfError wraps an error of perf_event_open made during step.
func perfError(step string, err error) error {
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
		return unsupported(step, err, feature.UnsupportedFeatureError{
			Name:   "eBPF",
			Reason: "needs CAP_PERFMON, or kernel.perf_event_paranoid at most 2, to sample a thread's task clock",
		})
	}
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EOPNOTSUPP) {
		return unsupported(step, err, feature.UnsupportedFeatureError{
			Name:   "eBPF",
			Reason: "the kernel has no task-clock perf event",
		})
	}
	return fmt.Errorf("usched: eBPF watcher: %s: %w", step, err)
}

// Capability numbers (include/uapi/linux/capability.h).
const (
	capSysAdmin = 21
	capPerfmon  = 38
	capBPF      = 39
)

// capsNote says which of CAP_BPF and CAP_PERFMON the process lacks, so
// that an EPERM with both present points at the other causes. "" if the
// capabilities cannot be read.
func capsNote() string {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return ""
	}
	has := func(c uint) bool { return data[c/32].Effective&(1<<(c%32)) != 0 }
	var missing []string
	if !has(capBPF) {
		missing = append(missing, "CAP_BPF")
	}
	if !has(capPerfmon) {
		missing = append(missing, "CAP_PERFMON")
	}
	// CAP_SYS_ADMIN grants both (and is what kernels before 5.8 ask for).
	if len(missing) == 0 || has(capSysAdmin) {
		return "; the process has them: a seccomp filter, an LSM or kernel lockdown may forbid bpf() or perf_event_open()"
	}
	return "; the process lacks " + strings.Join(missing, " and ")
}
