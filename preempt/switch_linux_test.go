package preempt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/usched/usched/internal/feature"
	"github.com/usched/usched/internal/testutil"
)

// TestDecodeSwitch encodes a struct swevent as the kernel lays it out (from
// bpf2go's copy) and decodes it as the reader does.
func TestDecodeSwitch(t *testing.T) {
	if swEventSize != 40 {
		t.Errorf("struct swevent is %d bytes; want 40 (no holes, no padding)", swEventSize)
	}
	c := quantumSwevent{Slot: 7, Kind: 2, Ts: 1 << 40, Seq: 1<<33 + 5, Syscall: 99, NextTid: 4242, PrevState: 0x102}
	var buf bytes.Buffer
	if err := binary.Write(&buf, binary.NativeEndian, &c); err != nil {
		t.Fatal(err)
	}
	got, ok := decodeSwitch(buf.Bytes())
	want := SwitchEvent{Slot: 7, Kind: SwitchPreemptForeign, TS: 1 << 40, Seq: 1<<33 + 5, Syscall: 99, NextTID: 4242, PrevState: 0x102}
	if !ok || got != want {
		t.Errorf("decodeSwitch = %+v, %t; want %+v, true", got, ok, want)
	}
	for _, n := range []int{0, swEventSize - 1, swEventSize + 8} {
		if _, ok := decodeSwitch(make([]byte, n)); ok {
			t.Errorf("decodeSwitch accepted %d bytes", n)
		}
	}
	for k, w := range map[SwitchKind]string{SwitchBlock: "block", SwitchPreemptForeign: "preempt-foreign", SwitchPreemptOwn: "preempt-own", 9: "SwitchKind(9)"} {
		if k.String() != w {
			t.Errorf("SwitchKind(%d).String() = %q; want %q", uint32(k), k.String(), w)
		}
	}
}

// switchLog collects the reporter's events, each with the time it reached
// the callback.
type switchLog struct {
	mu   sync.Mutex
	evs  []SwitchEvent
	recv []uint64 // CLOCK_MONOTONIC ns, the clock of SwitchEvent.TS
}

func (l *switchLog) add(ev SwitchEvent) {
	now := monotonic()
	l.mu.Lock()
	l.evs = append(l.evs, ev)
	l.recv = append(l.recv, now)
	l.mu.Unlock()
}

// snapshot returns copies of the events and their arrival times so far.
func (l *switchLog) snapshot() ([]SwitchEvent, []uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.evs), slices.Clone(l.recv)
}

// count returns how many events so far satisfy match.
func (l *switchLog) count(match func(SwitchEvent) bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, ev := range l.evs {
		if match(ev) {
			n++
		}
	}
	return n
}

// waitFor waits until cond holds. The limit is a hang guard for a broken
// reporter, not a timing assertion.
func (l *switchLog) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 5 s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func monotonic() uint64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return uint64(ts.Nano())
}

// openSwitches loads the objects and starts the reporter into a new log.
// The objects are closed at the end of the test; SIGUSR2 is caught from
// now on, so that a quantum_tick escalation cannot kill the process.
func openSwitches(t *testing.T) (*ebpfSource, []byte, *switchLog) {
	t.Helper()
	log := new(switchLog)
	src, mem := openSwitchesWith(t, log.add)
	return src, mem, log
}

// openSwitchesWith is openSwitches with a callback of the test's own.
func openSwitchesWith(t *testing.T, fn func(SwitchEvent)) (*ebpfSource, []byte) {
	t.Helper()
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs, syscall.SIGUSR2)
	t.Cleanup(func() { signal.Stop(sigs) })

	src, mem, err := openEBPF(syscall.SIGUSR2)
	if err != nil && errors.Is(err, feature.ErrNotSupported) {
		testutil.SkipIfNotSupported(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := src.close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	err = src.startSwitches(fn)
	if err != nil && errors.Is(err, feature.ErrNotSupported) {
		testutil.SkipIfNotSupported(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	// Idempotent: the first callback stays.
	if err := src.startSwitches(func(SwitchEvent) { panic("second callback called") }); err != nil {
		t.Fatalf("second startSwitches: %v", err)
	}
	return src, mem
}

// mThread is a locked OS thread that plays an M: it runs the functions
// given to do, one at a time. It never unlocks, so its thread exits with
// it (taking any affinity it set along).
type mThread struct {
	tid int
	fns chan func()
}

func startMThread(t *testing.T) *mThread {
	th := &mThread{fns: make(chan func())}
	tids := make(chan int)
	go func() {
		runtime.LockOSThread()
		tids <- unix.Gettid()
		for fn := range th.fns {
			fn()
		}
	}()
	th.tid = <-tids
	t.Cleanup(func() { close(th.fns) })
	return th
}

// do runs fn on the thread and waits for it.
func (th *mThread) do(fn func()) {
	done := make(chan struct{})
	th.fns <- func() { fn(); close(done) }
	<-done
}

// sleeps blocks the calling thread n times in a raw nanosleep of d, a
// system call Go's runtime does not see.
func sleeps(t *testing.T, n int, d time.Duration) {
	ts := unix.NsecToTimespec(d.Nanoseconds())
	for range n {
		if err := unix.Nanosleep(&ts, nil); err != nil && err != unix.EINTR {
			t.Errorf("nanosleep: %v", err)
			return
		}
	}
}

// slotAt returns slot i of the table memory.
func slotAt(mem []byte, i int) *Slot { return (*Slot)(unsafe.Pointer(&mem[i*SlotSize])) }

// register publishes th as the M of slot i running G seq, as an M does
// before it is watched, and watches it.
func register(t *testing.T, src *ebpfSource, mem []byte, i int, th *mThread, seq uint64, quantum time.Duration) *Slot {
	t.Helper()
	s := slotAt(mem, i)
	var err error
	th.do(func() {
		s.TID = uint32(th.tid)
		s.Watch = 1
		s.SetSeq(seq)
		err = src.watch(i, th.tid, quantum)
	})
	if err != nil {
		t.Fatalf("watch(%d, %d): %v", i, th.tid, err)
	}
	return s
}

// TestPrivilegedSwitchReportsBlock has a registered M block 100 times in
// a raw nanosleep: each block must reach Go as a BLOCK event carrying the
// M's Seq, and then its Syscall; the slot's counters and OffCPU follow.
func TestPrivilegedSwitchReportsBlock(t *testing.T) {
	src, mem, log := openSwitches(t)
	m := startMThread(t)
	s := register(t, src, mem, 0, m, 5, time.Millisecond)

	isBlock := func(ev SwitchEvent) bool { return ev.Slot == 0 && ev.Kind == SwitchBlock }
	var offWhileRunning []uint32
	m.do(func() {
		// watch clears OffCPU, and each switch-in clears it again: the
		// thread reading it is running.
		offWhileRunning = append(offWhileRunning, atomic.LoadUint32(&s.OffCPU))
		sleeps(t, 100, 200*time.Microsecond)
		off := atomic.LoadUint32(&s.OffCPU)
		if off != 0 {
			// Seen once in CI (stop 16), with other test processes
			// attaching and detaching their own on_switch programs
			// meanwhile; not reproduced in 160 runs alone or beside a
			// stress run, and bpftool showed no recursion misses. The
			// likeliest story is one switch-in event the kernel did not
			// deliver. What must hold is that the next switch clears it:
			// a program that never cleared OffCPU fails here still.
			t.Logf("OffCPU read 1 by the running M after 100 blocks; checking again after one more")
			sleeps(t, 1, 200*time.Microsecond)
			off = atomic.LoadUint32(&s.OffCPU)
		}
		offWhileRunning = append(offWhileRunning, off)
	})
	if slices.Contains(offWhileRunning, 1) {
		t.Errorf("OffCPU read by the running M: %v; want 0", offWhileRunning)
	}
	log.waitFor(t, "100 BLOCK events for slot 0", func() bool { return log.count(isBlock) >= 100 })

	evs, recv := log.snapshot()
	var lat []time.Duration
	for i, ev := range evs {
		switch {
		case ev.Slot != 0:
			t.Errorf("event for slot %d, which is not watched: %+v", ev.Slot, ev)
		case ev.Kind != SwitchBlock && ev.Kind != SwitchPreemptForeign:
			t.Errorf("event of kind %v: %+v", ev.Kind, ev)
		case ev.Seq != 5 || ev.Syscall != 0:
			t.Errorf("event with Seq %d, Syscall %d; want 5, 0: %+v", ev.Seq, ev.Syscall, ev)
		case ev.Kind == SwitchBlock && (ev.PrevState&0xff == 0 || ev.NextTID == m.tid):
			t.Errorf("BLOCK event with PrevState %#x, NextTID %d (the M is %d)", ev.PrevState, ev.NextTID, m.tid)
		case ev.TS == 0 || ev.TS > recv[i]:
			t.Errorf("event at %d ns, received at %d ns", ev.TS, recv[i])
		}
		if ev.Kind == SwitchBlock {
			lat = append(lat, time.Duration(recv[i]-ev.TS))
		}
	}
	blocks := atomic.LoadUint64(&s.Blocks)
	if blocks < 100 || blocks < uint64(log.count(isBlock)) {
		t.Errorf("Blocks %d after 100 sleeps and %d BLOCK events", blocks, log.count(isBlock))
	}
	if ts, kind := atomic.LoadUint64(&s.SwitchOutTS), atomic.LoadUint32(&s.LastKind); ts == 0 || ts > monotonic() || kind < 1 || kind > 3 {
		t.Errorf("SwitchOutTS %d, LastKind %d", ts, kind)
	}
	slices.Sort(lat)
	q := func(p int) time.Duration { return lat[(len(lat)-1)*p/100] }
	t.Logf("%d events (%d BLOCK) for 100 sleeps; Blocks %d, ForeignPreempts %d; BLOCK switch-out → callback p50 %v, p90 %v, p99 %v, max %v",
		len(evs), len(lat), blocks, atomic.LoadUint64(&s.ForeignPreempts), q(50), q(90), q(99), q(100))

	// A block inside a hooked call carries the time the M entered it.
	const entered = 123456789
	before := len(evs)
	m.do(func() {
		s.Syscall = entered // a plain store, as the M makes it
		sleeps(t, 1, 200*time.Microsecond)
		s.Syscall = 0
	})
	log.waitFor(t, "BLOCK event with Syscall set", func() bool {
		return log.count(func(ev SwitchEvent) bool { return isBlock(ev) && ev.Syscall == entered }) >= 1
	})
	evs, _ = log.snapshot()
	for _, ev := range evs[before:] {
		if ev.Kind == SwitchBlock && ev.Syscall == entered && ev.Seq != 5 {
			t.Errorf("event in the hooked call: %+v; want Seq 5", ev)
		}
	}
}

// TestPrivilegedSwitchIgnoresOthers checks that only the blocks of watched
// Ms running a G are reported: a thread whose slot names it but was never
// watched, a thread that was unwatched, and a watched M with no G (Seq 0,
// parking) each block 100 times with no BLOCK event. A watched M's block afterwards, in a
// "hooked call" that marks it, is the fence: the ring buffer delivers in
// reservation order, so once its event is in, any event of the earlier
// blocks would be too.
//
// Between calls of do, an mThread parks in Go's scheduler, which is a
// block too: a watched one with a G (Seq != 0) reports it.
func TestPrivilegedSwitchIgnoresOthers(t *testing.T) {
	src, mem, log := openSwitches(t)

	fence := startMThread(t)
	s1 := register(t, src, mem, 1, fence, 7, time.Second)

	// Slot 2 names its thread but is not watched (never in mtids).
	unwatched := startMThread(t)
	s2 := slotAt(mem, 2)
	unwatched.do(func() {
		s2.TID = uint32(unwatched.tid)
		s2.Watch = 1
		s2.SetSeq(9)
		sleeps(t, 100, 200*time.Microsecond)
	})

	// Slot 3 is watched, then unwatched by its own thread, which then
	// runs G 12: no event may carry it.
	gone := startMThread(t)
	s3 := register(t, src, mem, 3, gone, 11, time.Second)
	var blocks3 uint64
	gone.do(func() {
		if err := src.unwatch(3); err != nil {
			t.Errorf("unwatch(3): %v", err)
		}
		if err := src.unwatch(3); err != nil {
			t.Errorf("second unwatch(3): %v", err)
		}
		s3.SetSeq(12)
		blocks3 = atomic.LoadUint64(&s3.Blocks)
		sleeps(t, 100, 200*time.Microsecond)
	})

	// Slot 4 is an M in its scheduler: watched, Seq 0. Its blocks are
	// counted but not sent.
	idle := startMThread(t)
	s4 := register(t, src, mem, 4, idle, 0, time.Second)
	idle.do(func() { sleeps(t, 100, 200*time.Microsecond) })

	const mark = 1
	fence.do(func() {
		s1.Syscall = mark
		sleeps(t, 1, 200*time.Microsecond)
		s1.Syscall = 0
	})
	log.waitFor(t, "BLOCK event of the fence (slot 1)", func() bool {
		return log.count(func(ev SwitchEvent) bool { return ev.Slot == 1 && ev.Kind == SwitchBlock && ev.Syscall == mark }) >= 1
	})

	evs, _ := log.snapshot()
	for _, ev := range evs {
		// Slot 4 has no G but is watched: a foreign preemption of it is
		// still news (its P may have work queued), a block is not.
		if ev.Slot == 1 || ev.Slot == 3 && ev.Seq == 11 || ev.Slot == 4 && ev.Kind == SwitchPreemptForeign {
			continue
		}
		t.Errorf("event %+v; only slot 1, slot 3 before unwatch (Seq 11) and slot 4's foreign preemptions may be reported", ev)
	}
	if n := atomic.LoadUint64(&s2.Blocks); n != 0 {
		t.Errorf("slot 2 (never watched) counted %d blocks", n)
	}
	if n := atomic.LoadUint64(&s3.Blocks); n != blocks3 {
		t.Errorf("slot 3 counted %d blocks after unwatch", n-blocks3)
	}
	if n := atomic.LoadUint64(&s4.Blocks); n < 100 {
		t.Errorf("slot 4 (Seq 0) counted %d blocks for 100 sleeps; want >= 100", n)
	}
	lost, err := src.lostSwitches()
	if err != nil || lost != 0 {
		t.Errorf("lostSwitches = %d, %v; want 0, nil", lost, err)
	}
	t.Logf("%d events; slot 4 (Seq 0) Blocks %d", len(evs), atomic.LoadUint64(&s4.Blocks))
}

// TestPrivilegedSwitchNoFeedbackLoop shares one CPU between a watched M and
// another thread of this process, both spinning for 200 ms, so that the M
// is switched out again and again for one of its own: PREEMPT_OWN, which
// must not be reported, lest the reader's wake-ups feed more of them (see
// the notes' feedback-loop pitfall; it made about 38 000 events/s). The M
// never blocks by itself, so few events may come: the odd BLOCK when Go's
// scheduler parks the locked thread, and foreign preemptions.
func TestPrivilegedSwitchNoFeedbackLoop(t *testing.T) {
	src, mem, log := openSwitches(t)
	// Ps for both spinners and the rest of the test (the reader among
	// them), as usched's GOMAXPROCS rule asks.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(4, runtime.GOMAXPROCS(0))))

	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	cpu := -1
	for c := range 1024 {
		if set.IsSet(c) {
			cpu = c
		}
	}
	pin := func() {
		var one unix.CPUSet
		one.Set(cpu)
		if err := unix.SchedSetaffinity(0, &one); err != nil {
			t.Errorf("pin to CPU %d: %v", cpu, err)
		}
	}

	m := startMThread(t)
	other := startMThread(t)
	// A quantum longer than the test: no tick interrupts the spin.
	s := register(t, src, mem, 0, m, 5, time.Second)

	const spin = 200 * time.Millisecond
	var wg sync.WaitGroup
	var ownSwitchOuts, switchOuts int
	wg.Add(2)
	go m.do(func() {
		defer wg.Done()
		pin()
		for end := time.Now().Add(spin); time.Now().Before(end); {
		}
	})
	go other.do(func() {
		defer wg.Done()
		pin()
		// Runs only while the M is switched out: each new SwitchOutTS
		// is one switch-out of the M, and LastKind says to whom.
		var last uint64
		end := time.Now().Add(spin)
		for time.Now().Before(end) || ownSwitchOuts == 0 && time.Now().Before(end.Add(5*time.Second)) {
			if ts := atomic.LoadUint64(&s.SwitchOutTS); ts != last {
				last = ts
				switchOuts++
				if SwitchKind(atomic.LoadUint32(&s.LastKind)) == SwitchPreemptOwn {
					ownSwitchOuts++
				}
			}
		}
	})
	wg.Wait()
	if ownSwitchOuts == 0 {
		t.Fatalf("the M was never switched out for the other thread (%d switch-outs seen); the test proves nothing", switchOuts)
	}

	// Every BLOCK (the M's Seq was 5 since it was watched) and
	// PREEMPT_FOREIGN of the M is sent, and the slot's counters started at
	// 0: once the events have arrived, they number exactly the counters.
	want := func() int {
		return int(atomic.LoadUint64(&s.Blocks) + atomic.LoadUint64(&s.ForeignPreempts))
	}
	// The M parks after the spin, a block of its own: wait for the two to
	// agree rather than for a count read once. Were PREEMPT_OWN sent, the
	// events would outnumber the counters for good.
	forM := func(ev SwitchEvent) bool { return ev.Slot == 0 }
	var n, w int
	log.waitFor(t, "events matching the slot's counters", func() bool {
		w = want()
		n = log.count(forM)
		return n == w
	})
	evs, _ := log.snapshot()
	kinds := map[SwitchKind]int{}
	for _, ev := range evs {
		kinds[ev.Kind]++
		if ev.Kind != SwitchBlock && ev.Kind != SwitchPreemptForeign {
			t.Errorf("event of kind %v: %+v", ev.Kind, ev)
		}
	}
	// The bounds are far below a feedback loop's thousands: the M blocks
	// only when Go's scheduler parks it, and foreign preemptions depend on
	// the machine's load (about 70 seen with another build running).
	if kinds[SwitchBlock] >= 100 || n >= 1000 {
		t.Errorf("%d events for the M in %v of spinning (%d BLOCK); want < 100 BLOCK, < 1000 in all", n, spin, kinds[SwitchBlock])
	}
	lost, err := src.lostSwitches()
	if err != nil || lost != 0 {
		t.Errorf("lostSwitches = %d, %v; want 0, nil", lost, err)
	}
	t.Logf("%v spinning on CPU %d: the other thread saw %d switch-outs of the M, %d to it (PREEMPT_OWN); %d events %v",
		spin, cpu, switchOuts, ownSwitchOuts, len(evs), kinds)
}

// TestPrivilegedSwitchClose closes the source while a watched M blocks
// over and over: close must wait for the callback, which reads the table
// and takes the source's lock (through unwatch), and no callback may run
// once it has returned.
func TestPrivilegedSwitchClose(t *testing.T) {
	var closed atomic.Bool
	var calls atomic.Int64
	var src *ebpfSource
	var mem []byte
	ready := make(chan struct{})
	src, mem = openSwitchesWith(t, func(ev SwitchEvent) {
		<-ready
		if closed.Load() {
			t.Errorf("callback after close returned: %+v", ev)
		}
		// Faults if the table were unmapped under the callback.
		_ = slotAt(mem, ev.Slot).LoadSeq()
		// Waits for the lock close must not hold meanwhile.
		if err := src.unwatch(MaxSlots - 1); err != nil {
			t.Errorf("unwatch in the callback: %v", err)
		}
		calls.Add(1)
		time.Sleep(100 * time.Microsecond)
	})
	close(ready)

	m := startMThread(t)
	register(t, src, mem, 0, m, 5, time.Second)
	stop := make(chan struct{})
	done := make(chan struct{})
	go m.do(func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				sleeps(t, 1, 50*time.Microsecond)
			}
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() < 20 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if calls.Load() < 20 {
		t.Fatalf("%d callbacks within 5 s; want 20", calls.Load())
	}
	if err := src.close(); err != nil {
		t.Errorf("close: %v", err)
	}
	closed.Store(true)
	n := calls.Load()
	// The M goes on blocking for a while with nothing attached.
	time.Sleep(20 * time.Millisecond)
	close(stop)
	<-done
	if got := calls.Load(); got != n {
		t.Errorf("%d callbacks after close", got-n)
	}
	if err := src.startSwitches(func(SwitchEvent) {}); err == nil {
		t.Error("startSwitches after close succeeded")
	}
	if err := src.watch(0, m.tid, time.Second); err == nil {
		t.Error("watch after close succeeded")
	}
	if err := src.close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	t.Logf("%d callbacks before close", n)
}
