package preempt

// The sched_switch reporter: bpf/quantum.bpf.c's on_switch program, which
// ebpfSource.startSwitches loads beside quantum_tick, and the goroutine that
// reads its ring buffer and hands each event to package m.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"
)

// switchObjects are what startSwitches loads: on_switch and the objects
// only it uses. mstate and mtids are openEBPF's, passed as replacements.
type switchObjects struct {
	OnSwitch *ebpf.Program  `ebpf:"on_switch"`
	Swevents *ebpf.Map      `ebpf:"swevents"`
	SwLost   *ebpf.Variable `ebpf:"sw_lost"`
}

// switchReporter is the running sched_switch reporter: the program, its
// link, and the goroutine that reads its ring buffer.
type switchReporter struct {
	objs switchObjects
	link link.Link
	rd   *ringbuf.Reader
	// wake is a second descriptor of the ring buffer, non-blocking and in
	// Go's netpoller; rc is its raw connection. The reading goroutine
	// parks on it between bursts (see run).
	wake *os.File
	rc   syscall.RawConn
	// stopping is set by stop before it closes wake, so that run
	// takes the errors that follow for the end they are.
	stopping atomic.Bool
	// done is closed when the reading goroutine has returned; err is what
	// ended it, if not stop (written before done is closed).
	done chan struct{}
	err  error
}

// startSwitches loads and attaches on_switch, the sched_switch reporter,
// and starts one goroutine that reads its ring buffer and calls fn for
// every event, in the order the kernel reserved them (per CPU, the order
// of the switches). Idempotent: a later call returns nil and keeps the
// first fn. close detaches the program and waits for the goroutine to end
// before unmapping anything, so fn may read the table. fn must return
// quickly (events queue in the ring buffer behind it, and are lost once it
// is full) and must not call close.
//
// Where the reader runs: nowhere in particular. It is an ordinary
// goroutine, and while the ring buffer is empty it is parked in Go's
// netpoller on a second descriptor of the buffer (see run), holding no
// thread and no P. The kernel signals the buffer once per burst of events
// (on_switch asks for the adaptive wake-up, which signals only a reader
// that has caught up); Go's thread waiting in the netpoller, or the next
// scheduler pass of any Go M, then readies the goroutine, which needs a
// free P, so GOMAXPROCS must leave one for service goroutines (DESIGN.md).
// It is not pinned: a pinned reader would wait behind the M it shares a
// CPU with. Only reported kinds wake it, and a switch to it is a
// PREEMPT_OWN, not reported, so its wake-ups cannot feed back into more
// events.
//
// Errors begin "usched: eBPF watcher:"; missing privilege or kernel
// support (BTF, tp_btf, ring buffers) match feature.ErrNotSupported.
func (e *ebpfSource) startSwitches(fn func(SwitchEvent)) error {
	if fn == nil {
		return errors.New("usched: eBPF watcher: startSwitches with a nil callback")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.closed:
		return errors.New("usched: eBPF watcher: startSwitches after close")
	case e.sw != nil:
		return nil
	}

	sw := &switchReporter{done: make(chan struct{})}
	opts := &ebpf.CollectionOptions{MapReplacements: map[string]*ebpf.Map{
		quantumMapMstate: e.objs.Mstate,
		quantumMapMtids:  e.objs.Mtids,
	}}
	if err := e.spec.LoadAndAssign(&sw.objs, opts); err != nil {
		return switchNeeds.loadError("load on_switch", err)
	}
	rd, err := ringbuf.NewReader(sw.objs.Swevents)
	if err != nil {
		sw.closeObjs()
		return fmt.Errorf("usched: eBPF watcher: read the sched_switch ring buffer: %w", err)
	}
	sw.rd = rd
	if sw.wake, sw.rc, err = netpollFile(sw.objs.Swevents.FD(), "swevents"); err != nil {
		rd.Close()
		sw.closeObjs()
		return fmt.Errorf("usched: eBPF watcher: wait for the sched_switch ring buffer in Go's netpoller: %w", err)
	}
	// ReadInto only drains: with a deadline in the past it polls the
	// buffer without blocking and returns os.ErrDeadlineExceeded once it
	// is empty, and run then parks on wake.
	rd.SetDeadline(time.Unix(0, 1))
	// The reader first, so that the first event finds it.
	go sw.run(fn)
	l, err := link.AttachTracing(link.TracingOptions{Program: sw.objs.OnSwitch})
	if err != nil {
		sw.stop()
		return switchNeeds.loadError("attach on_switch to sched_switch", err)
	}
	sw.link = l
	e.sw = sw
	return nil
}

// lostSwitches returns the number of events on_switch could not send
// because the ring buffer was full: blocks the runtime never heard of. 0
// while the reporter is not started.
func (e *ebpfSource) lostSwitches() (uint64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sw == nil {
		return 0, nil
	}
	var n uint64
	if err := e.sw.objs.SwLost.Get(&n); err != nil {
		return 0, fmt.Errorf("usched: eBPF watcher: read %s: %w", quantumVarSwLost, err)
	}
	return n, nil
}

// run reads events until stop.
//
// It drains the ring buffer without blocking, then parks in Go's netpoller
// until the buffer has data again. cilium/ebpf's reader would instead
// block its thread in epoll_wait, a system call, and that costs the Ms
// more than the events do: the goroutine enters the call holding the
// service P, Go's sysmon retakes that P (no other P is idle while the Ms
// run) and, having retaken one, polls every 20 µs again for a while,
// preempting the Ms on a machine with no CPU to spare. Measured on 2
// CPUs, fib(27) with Join and no spare Ms: 21.48 ms an op against 17.92
// ms parked in the netpoller, with the same 20 events an op; sysmon's
// thread switched 10,154 times in 2 s against 1,448 (bench/RESULTS.md).
func (sw *switchReporter) run(fn func(SwitchEvent)) {
	defer close(sw.done)
	var rec ringbuf.Record // its buffer is reused: no allocation per event
	// The buffer's poll reports it readable while it holds a record, and
	// the netpoller's readiness is reset before the first check, so a
	// record committed after a check still wakes the wait that follows.
	ready := func(uintptr) bool { return sw.rd.AvailableBytes() > 0 }
	for {
		err := sw.rd.ReadInto(&rec)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = sw.rc.Read(ready)
			if err == nil {
				continue
			}
		}
		if err != nil {
			if !sw.stopping.Load() {
				sw.err = fmt.Errorf("usched: eBPF watcher: sched_switch reporter stopped: %w", err)
			}
			return
		}
		ev, ok := decodeSwitch(rec.RawSample)
		if !ok {
			// Only a stale object file can send another size;
			// openEBPF would have refused one with another table.
			sw.err = fmt.Errorf("usched: eBPF watcher: sched_switch event of %d bytes; want %d: regenerate with go generate ./preempt", len(rec.RawSample), swEventSize)
			return
		}
		fn(ev)
	}
}

// stop detaches the program, then ends the goroutine (closing wake wakes
// it; events still queued are dropped) and waits for it, and closes the
// reader and the objects. It returns what ended the goroutine early, if
// anything.
func (sw *switchReporter) stop() error {
	var errs []error
	if sw.link != nil {
		errs = append(errs, sw.link.Close())
	}
	sw.stopping.Store(true)
	// The goroutine ends on its own once wake is closed: its reads do not
	// block, and its next wait fails. The reader is closed only after it
	// has ended, because the readiness check reads the reader's ring
	// without the reader's lock, and Close takes the ring away.
	errs = append(errs, sw.wake.Close())
	<-sw.done
	errs = append(errs, sw.rd.Close(), sw.err, sw.closeObjs())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("usched: eBPF watcher: stop the sched_switch reporter: %w", err)
	}
	return nil
}

// netpollFile returns a new descriptor of fd's open file, non-blocking and
// registered with Go's netpoller (os.NewFile does that for a non-blocking
// descriptor that epoll accepts), and its raw connection, whose Read parks
// the calling goroutine until the file is readable. The descriptor shares
// the file's status flags: O_NONBLOCK is set for fd too, which a BPF map's
// other users (the bpf system call, mmap, epoll) do not look at.
func netpollFile(fd int, name string) (*os.File, syscall.RawConn, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("dup: %w", err)
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return nil, nil, fmt.Errorf("set O_NONBLOCK: %w", err)
	}
	f := os.NewFile(uintptr(nfd), name)
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, rc, nil
}

// closeObjs closes the program and the ring buffer (nil-safe, as
// tickObjects.Close). SwLost has no Close: it lives in the .bss map's
// mapped memory, which the garbage collector releases with the Variable.
func (sw *switchReporter) closeObjs() error {
	return errors.Join(sw.objs.OnSwitch.Close(), sw.objs.Swevents.Close())
}

// swEventSize is the size of struct swevent, the ring buffer's record.
const swEventSize = int(unsafe.Sizeof(quantumSwevent{}))

// decodeSwitch decodes one record of the ring buffer; false if it has the
// wrong size. The offsets are those of bpf2go's copy of struct swevent, so
// a change to the C struct is followed here once regenerated.
func decodeSwitch(b []byte) (SwitchEvent, bool) {
	var c quantumSwevent
	if len(b) != swEventSize {
		return SwitchEvent{}, false
	}
	ne := binary.NativeEndian
	return SwitchEvent{
		Slot:      int(ne.Uint32(b[unsafe.Offsetof(c.Slot):])),
		Kind:      SwitchKind(ne.Uint32(b[unsafe.Offsetof(c.Kind):])),
		TS:        ne.Uint64(b[unsafe.Offsetof(c.Ts):]),
		Seq:       ne.Uint64(b[unsafe.Offsetof(c.Seq):]),
		Syscall:   ne.Uint64(b[unsafe.Offsetof(c.Syscall):]),
		NextTID:   int(ne.Uint32(b[unsafe.Offsetof(c.NextTid):])),
		PrevState: ne.Uint32(b[unsafe.Offsetof(c.PrevState):]),
	}, true
}

// switchNeeds is on_switch's, the sched_switch reporter's.
var switchNeeds = progNeeds{
	name:           "eBPF sched_switch reporter",
	minimumVersion: "5.18",
	rejected:       "the kernel's verifier rejected on_switch; it needs tp_btf programs, BPF ring buffers and sched_switch's prev_state argument",
	lacking:        "the kernel lacks BTF (CONFIG_DEBUG_INFO_BTF), tp_btf programs or BPF ring buffers",
}
