package preempt

// The eBPF watcher: bpf/quantum.bpf.c's quantum_tick program, run by one
// task-clock perf event per watched M, on the table that Go and BPF share.
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
// RLIMIT_MEMLOCK is left alone (no rlimit.RemoveMemlock). Every kernel
// that can run quantum_tick has bpf_get_attach_cookie for perf events
// (5.15), so it also charges BPF memory to the memory cgroup (5.11) and
// ignores the rlimit; and importing cilium's rlimit package would run a
// BPF probe at init in every program that links usched, eBPF in use or not.

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/usched/usched/internal/feature"
)

// ebpfSource is the loaded eBPF watcher: programs, the mmapped table, one
// perf event per watched M. Its methods are safe for concurrent use.
type ebpfSource struct {
	mu     sync.Mutex
	closed bool // protected by mu
	// objs holds the program and the map; protected by mu, closed once.
	objs quantumObjects
	// mem is the map's memory, mapped into the process; nil after close.
	// Protected by mu (the Ms use it through a Table, not through here).
	mem []byte
	// ticks holds the perf event and link of each watched slot. Protected
	// by mu.
	ticks map[int]tickEvent
}

// tickEvent is one watched slot's perf event and the BPF link that runs
// quantum_tick on it.
type tickEvent struct {
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
	// cfg_signal is read-only data: the verifier sees a constant.
	if err := spec.Variables[quantumVarCfgSignal].Set(uint32(sig)); err != nil {
		return nil, nil, fmt.Errorf("usched: eBPF watcher: set %s: %w", quantumVarCfgSignal, err)
	}

	e := &ebpfSource{ticks: make(map[int]tickEvent)}
	if err := spec.LoadAndAssign(&e.objs, nil); err != nil {
		return nil, nil, loadError("load program and table", err)
	}
	// MAP_SHARED on the map's FD maps the array's own pages: the Ms' plain
	// stores and BPF's see one copy, with no system call on either side.
	// The kernel zeroes them at map creation, so every slot starts unused
	// (TID 0).
	mem, err := unix.Mmap(e.objs.Mstate.FD(), 0, tableBytes, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		e.objs.Close()
		return nil, nil, loadError("map the table into memory", err)
	}
	e.mem = mem
	return e, mem, nil
}

// watch starts sampling slot for thread tid every quantum of its CPU time.
// Any goroutine may call it. Watching a slot that is already watched
// replaces its event, so at most one event ever writes a slot. The kernel
// raises a period below 10 µs to 10 µs.
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
		return loadError(fmt.Sprintf("attach quantum_tick to thread %d", tid), err)
	}
	if err := unix.IoctlSetInt(perfFD, unix.PERF_EVENT_IOC_ENABLE, 0); err != nil {
		unix.Close(linkFD)
		unix.Close(perfFD)
		return fmt.Errorf("usched: eBPF watcher: enable the event of thread %d: %w", tid, err)
	}
	e.ticks[slot] = tickEvent{perfFD: perfFD, linkFD: linkFD}
	return nil
}

// unwatch stops sampling slot (closes its perf event and link). Idempotent.
//
// Called by the slot's own M, it is exact: the program runs only while it
// interrupts that thread, so no tick is in flight when unwatch returns.
// From another thread, one tick that started before may still finish; it
// writes only the slot, and only while the slot's TID is that thread's.
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
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("usched: eBPF watcher: unwatch slot %d: %w", slot, err)
	}
	return nil
}

// close unwatches everything, unmaps the table memory, and closes all
// objects. Idempotent. No M may touch the table afterwards.
func (e *ebpfSource) close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	var errs []error
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

// loadError wraps an error of the bpf system call, or of cilium/ebpf
// loading the objects, made during step.
func loadError(step string, err error) error {
	var verr *ebpf.VerifierError
	switch {
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		// The bare errno, not err: cilium appends "MEMLOCK may be too
		// low" to EPERM, which on any kernel that can run quantum_tick
		// is wrong (see the top of this file); the cause is privilege.
		errno := unix.EPERM
		if errors.Is(err, unix.EACCES) {
			errno = unix.EACCES
		}
		return fmt.Errorf("usched: eBPF watcher: %w (%s: %w)", &feature.UnsupportedFeatureError{
			Name:   "eBPF",
			Reason: "needs CAP_BPF and CAP_PERFMON" + capsNote(),
		}, step, errno)
	case errors.As(err, &verr):
		return fmt.Errorf("usched: eBPF watcher: %w (%s: %w)", &feature.UnsupportedFeatureError{
			Name:           "eBPF",
			MinimumVersion: "5.15",
			Reason:         "the kernel's verifier rejected quantum_tick; it needs bpf_get_attach_cookie and bpf_send_signal_thread in perf_event programs",
		}, step, err)
	case errors.Is(err, ebpf.ErrNotSupported):
		return fmt.Errorf("usched: eBPF watcher: %w (%s: %w)", &feature.UnsupportedFeatureError{
			Name:           "eBPF",
			MinimumVersion: "5.15",
			Reason:         "the kernel lacks mmapable array maps, perf_event links or BPF cookies",
		}, step, err)
	}
	return fmt.Errorf("usched: eBPF watcher: %s: %w", step, err)
}

// perfError wraps an error of perf_event_open made during step.
func perfError(step string, err error) error {
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
		return fmt.Errorf("usched: eBPF watcher: %w (%s: %w)", &feature.UnsupportedFeatureError{
			Name:   "eBPF",
			Reason: "needs CAP_PERFMON, or kernel.perf_event_paranoid at most 2, to sample a thread's task clock",
		}, step, err)
	}
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EOPNOTSUPP) {
		return fmt.Errorf("usched: eBPF watcher: %w (%s: %w)", &feature.UnsupportedFeatureError{
			Name:   "eBPF",
			Reason: "the kernel has no task-clock perf event",
		}, step, err)
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
