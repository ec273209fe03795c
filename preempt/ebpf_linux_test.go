package preempt

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/usched/usched/internal/feature"
	"github.com/usched/usched/internal/testutil"
)

// TestSlotLayout holds struct mslot of bpf/quantum.bpf.c (as bpf2go
// generated it) and Slot together: same size, and every named field at the
// same offset with the same size. Padding is not compared by name; equal
// sizes and offsets leave it no room to differ.
func TestSlotLayout(t *testing.T) {
	// Go names that bpf2go spells differently.
	cName := map[string]string{"TID": "Tid", "SwitchOutTS": "SwitchOutTs", "OffCPU": "OffCpu"}

	gt := reflect.TypeFor[Slot]()
	ct := reflect.TypeFor[quantumMslot]()
	if gt.Size() != ct.Size() || gt.Size() != SlotSize {
		t.Errorf("size: Slot %d, mslot %d, SlotSize %d", gt.Size(), ct.Size(), SlotSize)
	}
	seen := make(map[string]bool)
	for f := range gt.Fields() {
		if f.Name == "_" {
			continue
		}
		name := f.Name
		if n, ok := cName[name]; ok {
			name = n
		}
		seen[name] = true
		cf, ok := ct.FieldByName(name)
		if !ok {
			t.Errorf("Slot.%s has no counterpart %s in mslot", f.Name, name)
			continue
		}
		if cf.Offset != f.Offset || cf.Type.Size() != f.Type.Size() {
			t.Errorf("Slot.%s at offset %d, size %d; mslot.%s at offset %d, size %d",
				f.Name, f.Offset, f.Type.Size(), name, cf.Offset, cf.Type.Size())
		}
	}
	for f := range ct.Fields() {
		if f.Name == "_" || strings.HasPrefix(f.Name, "Pad") {
			continue
		}
		if !seen[f.Name] {
			t.Errorf("mslot.%s has no counterpart in Slot", f.Name)
		}
	}

	// Each cache line has one writer (see Slot): every field must sit in
	// the line of its writer.
	line := map[string]uintptr{
		"Seq": 0, "TID": 0, "Watch": 0, "Syscall": 0,
		"Preempt": 1, "Signaled": 1, "LastSeq": 1, "Strikes": 1,
		"Ticks": 1, "Flags": 1, "Signals": 1, "SigFails": 1,
		"Handled": 2, "Blocks": 2, "ForeignPreempts": 2, "SwitchOutTS": 2, "OffCPU": 2, "LastKind": 2,
	}
	for f := range gt.Fields() {
		if f.Name == "_" {
			continue
		}
		want, ok := line[f.Name]
		if !ok {
			t.Errorf("Slot.%s: no cache line assigned in this test", f.Name)
			continue
		}
		if first, last := f.Offset/64, (f.Offset+f.Type.Size()-1)/64; first != want || last != want {
			t.Errorf("Slot.%s at offset %d spans lines %d to %d; want line %d", f.Name, f.Offset, first, last, want)
		}
	}

	// The object's map must be the table: parsing the ELF needs no
	// privilege.
	spec, err := loadQuantum()
	if err != nil {
		t.Fatal(err)
	}
	ms := spec.Maps[quantumMapMstate]
	if ms.MaxEntries != MaxSlots || ms.ValueSize != SlotSize || ms.KeySize != 4 {
		t.Errorf("map %s: %d entries, key %d bytes, value %d bytes; want %d, 4, %d",
			quantumMapMstate, ms.MaxEntries, ms.KeySize, ms.ValueSize, MaxSlots, SlotSize)
	}
}

// snapshot is a consistent copy of the watcher's side of a slot.
type snapshot struct {
	ticks, lastSeq, strikes, preempt, signaled, flags, signals, sigFails uint64
}

// snap reads s between two ticks: a tick can interrupt the reading thread
// between two loads, so it retries until Ticks did not move.
func snap(s *Slot) snapshot {
	for {
		t0 := atomic.LoadUint64(&s.Ticks)
		v := snapshot{
			ticks:    t0,
			lastSeq:  atomic.LoadUint64(&s.LastSeq),
			strikes:  atomic.LoadUint64(&s.Strikes),
			preempt:  atomic.LoadUint64(&s.Preempt),
			signaled: atomic.LoadUint64(&s.Signaled),
			flags:    atomic.LoadUint64(&s.Flags),
			signals:  atomic.LoadUint64(&s.Signals),
			sigFails: atomic.LoadUint64(&s.SigFails),
		}
		if atomic.LoadUint64(&s.Ticks) == t0 {
			return v
		}
	}
}

// spinUntil burns CPU on the calling thread (the watcher ticks only while
// it runs in user mode) until cond holds. The limit is a hang guard for a
// broken program, not a timing assertion.
func spinUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 5 s of spinning", what)
		}
	}
}

// threadCPU returns the calling thread's CPU time.
func threadCPU(t *testing.T) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ts.Nano())
}

// TestPrivilegedEBPFFlagsAndSignals loads the program and has it watch the
// test's own thread, which plays an M running one G that never polls: the
// first strike must flag it, the second signal it, and a new Seq, Seq 0 or
// Watch 0 must start the slice over.
func TestPrivilegedEBPFFlagsAndSignals(t *testing.T) {
	const quantum = 200 * time.Microsecond

	// Before the program can send it: SIGUSR2 unhandled kills the process.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGUSR2)
	defer signal.Stop(sigs)

	src, mem, err := openEBPF(syscall.SIGUSR2)
	if err != nil && errors.Is(err, feature.ErrNotSupported) {
		testutil.SkipIfNotSupported(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := src.close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := src.close(); err != nil {
			t.Errorf("second close: %v", err)
		}
	}()
	if len(mem) != MaxSlots*SlotSize {
		t.Fatalf("table memory is %d bytes; want %d", len(mem), MaxSlots*SlotSize)
	}

	// This goroutine is the M: the perf event samples this thread only.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := unix.Gettid()

	// The pitfalls of the notes: bad arguments are refused before any
	// event exists.
	for _, bad := range []struct {
		slot, tid int
		q         time.Duration
	}{{-1, tid, quantum}, {MaxSlots, tid, quantum}, {0, 0, quantum}, {0, tid, 0}} {
		if err := src.watch(bad.slot, bad.tid, bad.q); err == nil {
			t.Errorf("watch(%d, %d, %v) succeeded", bad.slot, bad.tid, bad.q)
		}
	}

	slot := (*Slot)(unsafe.Pointer(&mem[0]))
	// Plain stores, as the M makes them.
	slot.TID = uint32(tid)
	slot.Watch = 1
	slot.SetSeq(1)
	// Slot 1 is watched on this thread too but left unused (TID 0) and
	// slot 2 belongs to another thread: the program must leave both alone.
	other := (*Slot)(unsafe.Pointer(&mem[2*SlotSize]))
	other.TID = uint32(tid) + 1
	other.Watch = 1
	other.SetSeq(1)
	cpu0 := threadCPU(t)
	for _, s := range []int{0, 1, 2} {
		if err := src.watch(s, tid, quantum); err != nil {
			t.Fatalf("watch(%d): %v", s, err)
		}
	}

	// First strike flags, second signals.
	spinUntil(t, "flag", func() bool { return atomic.LoadUint64(&slot.Preempt) == 1 })
	spinUntil(t, "signal", func() bool { return atomic.LoadUint64(&slot.Signaled) == 1 })
	cpu1 := threadCPU(t)
	v := snap(slot)
	if v.flags < 1 || v.signals < 1 {
		t.Errorf("Flags %d, Signals %d after Signaled == 1; want >= 1 each", v.flags, v.signals)
	}
	// The first tick sees Seq new, the second flags, the third signals;
	// later ticks find it signalled. Strikes counts all but the first.
	if v.strikes+1 != v.ticks || v.ticks < 3 || v.lastSeq != 1 {
		t.Errorf("after the signal: Ticks %d, Strikes %d, LastSeq %d; want Strikes = Ticks-1, Ticks >= 3, LastSeq 1",
			v.ticks, v.strikes, v.lastSeq)
	}
	select {
	case <-sigs:
	case <-time.After(5 * time.Second):
		t.Fatal("Signaled is 1 but no SIGUSR2 arrived within 5 s")
	}
	t.Logf("G 1: signalled after %d ticks in %v of thread CPU (quantum %v); Flags %d, Signals %d, SigFails %d",
		v.ticks, cpu1-cpu0, quantum, v.flags, v.signals, v.sigFails)

	// A new G: the next tick resets the strikes, and each later one adds
	// one, until the G is flagged and signalled in turn.
	// t0 before the store: a tick between the two would otherwise be
	// counted in t0 and still be the one that saw the new Seq first.
	t0 := snap(slot).ticks
	slot.SetSeq(2)
	spinUntil(t, "tick after Seq 2", func() bool { return atomic.LoadUint64(&slot.Ticks) > t0 })
	v = snap(slot)
	if v.lastSeq != 2 || v.strikes != v.ticks-t0-1 {
		t.Errorf("%d ticks after Seq 2: LastSeq %d, Strikes %d; want 2, %d", v.ticks-t0, v.lastSeq, v.strikes, v.ticks-t0-1)
	}
	spinUntil(t, "signal of G 2", func() bool { return atomic.LoadUint64(&slot.Signaled) == 2 })
	v = snap(slot)
	if v.preempt != 2 || v.flags < 2 || v.signals < 2 {
		t.Errorf("G 2 signalled: Preempt %d, Flags %d, Signals %d; want 2, >= 2, >= 2", v.preempt, v.flags, v.signals)
	}
	select {
	case <-sigs:
	case <-time.After(5 * time.Second):
		t.Fatal("Signaled is 2 but no second SIGUSR2 arrived within 5 s")
	}

	// No G (Seq 0), then a G on an unwatched slot: ticks go on, but no
	// strike, flag or signal.
	for _, c := range []struct {
		name       string
		seq        uint64
		watch      uint32
		wantLastSq uint64
	}{{"Seq 0", 0, 1, 0}, {"Watch 0", 3, 0, 3}} {
		slot.Watch = c.watch
		slot.SetSeq(c.seq)
		before := snap(slot)
		spinUntil(t, "3 ticks with "+c.name, func() bool { return atomic.LoadUint64(&slot.Ticks) >= before.ticks+3 })
		v = snap(slot)
		if v.strikes != 0 || v.lastSeq != c.wantLastSq || v.flags != before.flags || v.signals != before.signals {
			t.Errorf("%s: Strikes %d, LastSeq %d, Flags %d→%d, Signals %d→%d; want 0, %d, no change",
				c.name, v.strikes, v.lastSeq, before.flags, v.flags, before.signals, v.signals, c.wantLastSq)
		}
	}

	for _, s := range []int{1, 2} {
		if n := atomic.LoadUint64(&(*Slot)(unsafe.Pointer(&mem[s*SlotSize])).Ticks); n != 0 {
			t.Errorf("slot %d (TID 0 or another thread's) has %d ticks; want 0", s, n)
		}
	}

	// Unwatched by its own thread, the slot gets no more ticks.
	if err := src.unwatch(0); err != nil {
		t.Fatalf("unwatch: %v", err)
	}
	if err := src.unwatch(0); err != nil {
		t.Fatalf("second unwatch: %v", err)
	}
	stopped := atomic.LoadUint64(&slot.Ticks)
	burn := threadCPU(t) + 20*quantum
	for threadCPU(t) < burn {
	}
	if n := atomic.LoadUint64(&slot.Ticks); n != stopped {
		t.Errorf("%d ticks after unwatch", n-stopped)
	}
	v = snap(slot)
	t.Logf("end: Ticks %d, Flags %d, Signals %d, SigFails %d", v.ticks, v.flags, v.signals, v.sigFails)
}

// envHelper selects TestEBPFUnprivileged's child mode.
const envHelper = "USCHED_TEST_EBPF_HELPER"

// Markers the child prints for the parent.
const (
	markErr         = "ebpf-helper-error: "
	markUnsupported = "ebpf-helper-not-supported: "
)

// TestEBPFUnprivileged runs this test binary again as user nobody, where
// openEBPF must fail with an error that matches feature.ErrNotSupported and
// names the missing capabilities.
func TestEBPFUnprivileged(t *testing.T) {
	if os.Getenv(envHelper) == "unprivileged" {
		_, _, err := openEBPF(syscall.SIGUSR2)
		fmt.Printf("%s%v\n", markErr, err)
		fmt.Printf("%s%t\n", markUnsupported, errors.Is(err, feature.ErrNotSupported))
		return
	}
	testutil.RequireRoot(t) // to switch to nobody

	// The go tool builds the binary in a directory only root can enter:
	// copy it where nobody can run it.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "usched-ebpf-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "preempt.test")
	if err := copyFile(bin, exe, 0o755); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bin, "-test.run=^TestEBPFUnprivileged$", "-test.count=1", "-test.v", "-test.timeout=60s")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), envHelper+"=unprivileged")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child as nobody: %v\n%s", err, out)
	}
	var msg, unsupported string
	for line := range strings.Lines(string(out)) {
		line = strings.TrimSpace(line)
		if s, ok := strings.CutPrefix(line, markErr); ok {
			msg = s
		}
		if s, ok := strings.CutPrefix(line, markUnsupported); ok {
			unsupported = s
		}
	}
	t.Logf("openEBPF as nobody: %s", msg)
	if msg == "" || msg == "<nil>" {
		t.Fatalf("openEBPF succeeded as nobody, or the child printed nothing:\n%s", out)
	}
	if unsupported != "true" {
		t.Errorf("errors.Is(err, feature.ErrNotSupported) = %q in the child; want true", unsupported)
	}
	for _, want := range []string{"usched: eBPF watcher:", "CAP_BPF", "CAP_PERFMON"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "MEMLOCK") {
		t.Errorf("error %q carries cilium's MEMLOCK hint, which is wrong here", msg)
	}
}

func copyFile(dst, src string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
