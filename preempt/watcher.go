package preempt

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Mode is a preemption watcher choice. The values match usched.PreemptMode.
type Mode int

const (
	// Auto: eBPF where it loads, else sysmon. Never the mode in force.
	Auto Mode = iota
	// EBPF: the eBPF watcher.
	EBPF
	// Sysmon: the pure-Go watcher thread.
	Sysmon
	// Off: no watcher; only a scheduling policy sets the preempt words
	// (the Priority policy's urgent yields).
	Off
)

func (md Mode) String() string {
	switch md {
	case Auto:
		return "auto"
	case EBPF:
		return "ebpf"
	case Sysmon:
		return "sysmon"
	case Off:
		return "off"
	}
	return fmt.Sprintf("Mode(%d)", int(md))
}

// Config configures a Watcher.
type Config struct {
	Mode    Mode
	Quantum time.Duration // > 0 unless Mode is Off
	Signal  syscall.Signal
	// Slots is the number of slots to use (Ms, spares included).
	Slots int
	// SysmonCPU is the CPU to pin the sysmon thread to, or -1.
	SysmonCPU int
	// Escalate is called when the G identified by seq has run two quanta
	// on slot's M without polling (or, under sysmon, has been in a hooked
	// call for a whole period). It runs on the watcher's goroutine, one
	// call at a time; it must not block for long.
	Escalate func(slot int, seq uint64)
	// Blocked is called, with the eBPF watcher only, when slot's M blocks
	// in the kernel while it runs the G identified by seq (a hooked call
	// or not); ForeignPreempted when a thread of another process preempts
	// slot's M. Both run on the sched_switch reader's goroutine. Nil
	// leaves the reporter off.
	Blocked          func(slot int, seq uint64)
	ForeignPreempted func(slot int)
}

// Watcher is a running preemption watcher and the table it watches.
type Watcher struct {
	mode     Mode
	reason   string
	quantum  time.Duration
	table    *Table
	escalate func(int, uint64)

	ebpf     *ebpfSource
	switches bool // the sched_switch reporter is on
	relay    *signalRelay
	sysmon   *sysmon

	closeOnce sync.Once
	closeErr  error
}

// Start starts the watcher cfg asks for. With Auto it falls back to sysmon
// when eBPF cannot load and records why (Reason); with EBPF that failure is
// an error. The signal is checked only when the eBPF watcher may be used.
func Start(cfg Config) (*Watcher, error) {
	if cfg.Slots <= 0 || cfg.Slots > MaxSlots {
		return nil, fmt.Errorf("usched: %d Ms need %d preemption slots; at most %d are supported", cfg.Slots, cfg.Slots, MaxSlots)
	}
	if cfg.Mode != Off && cfg.Quantum <= 0 {
		return nil, fmt.Errorf("usched: preemption quantum %v; want > 0", cfg.Quantum)
	}
	if cfg.Escalate == nil {
		cfg.Escalate = func(int, uint64) {}
	}
	w := &Watcher{mode: cfg.Mode, quantum: cfg.Quantum, escalate: cfg.Escalate}
	if cfg.Mode == Auto || cfg.Mode == EBPF {
		err := w.startEBPF(cfg)
		switch {
		case err == nil:
			return w, nil
		case cfg.Mode == EBPF:
			return nil, err
		}
		w.reason = err.Error()
		w.mode = Sysmon
	}
	if w.mode == Off {
		w.reason = "preemption is off"
	}
	table, err := anonTable(cfg.Slots)
	if err != nil {
		return nil, err
	}
	w.table = table
	if w.mode == Sysmon {
		w.sysmon = startSysmon(w, cfg.SysmonCPU)
	}
	return w, nil
}

func (w *Watcher) startEBPF(cfg Config) error {
	if cfg.Signal == 0 {
		return errors.New("usched: preemption signal is 0")
	}
	if err := checkSignalFree(cfg.Signal); err != nil {
		return err
	}
	src, mem, err := openEBPF(cfg.Signal)
	if err != nil {
		return err
	}
	table, err := newTable(mem, cfg.Slots, nil) // src.close unmaps mem
	if err != nil {
		src.close()
		return err
	}
	w.ebpf, w.table, w.mode = src, table, EBPF
	w.relay = startRelay(w, cfg.Signal)
	if cfg.Blocked != nil {
		err := src.startSwitches(func(ev SwitchEvent) {
			switch ev.Kind {
			case SwitchBlock:
				cfg.Blocked(ev.Slot, ev.Seq)
			case SwitchPreemptForeign:
				if cfg.ForeignPreempted != nil {
					cfg.ForeignPreempted(ev.Slot)
				}
			}
		})
		if err != nil {
			// The quantum watcher works without it; blocked Ms are then
			// handed off by escalation only (see Reason).
			w.reason = "blocking detection off: " + err.Error()
		} else {
			w.switches = true
		}
	}
	return nil
}

// Switches reports whether the sched_switch reporter is on: blocked Ms are
// then detected as they block.
func (w *Watcher) Switches() bool { return w.switches }

// LostSwitches returns how many sched_switch events the ring buffer
// dropped.
func (w *Watcher) LostSwitches() uint64 {
	if w.ebpf == nil || !w.switches {
		return 0
	}
	n, _ := w.ebpf.lostSwitches()
	return n
}

// Table returns the table the Ms publish to.
func (w *Watcher) Table() *Table { return w.table }

// Mode returns the watcher in force: EBPF, Sysmon or Off.
func (w *Watcher) Mode() Mode { return w.mode }

// Reason says, in words, why the eBPF watcher is not in force ("" when it
// is).
func (w *Watcher) Reason() string { return w.reason }

// Quantum returns the quantum.
func (w *Watcher) Quantum() time.Duration { return w.quantum }

// Watch starts watching slot, used by the thread tid. The M calls it once
// it knows its thread ID, before it runs a G.
func (w *Watcher) Watch(slot, tid int) error {
	s := w.table.Slot(slot)
	atomic.StoreUint32(&s.TID, uint32(tid))
	if w.mode == Off {
		return nil
	}
	atomic.StoreUint32(&s.Watch, 1)
	if w.ebpf != nil {
		if err := w.ebpf.watch(slot, tid, w.quantum); err != nil {
			atomic.StoreUint32(&s.Watch, 0)
			return err
		}
	}
	return nil
}

// Unwatch stops watching slot. Idempotent.
func (w *Watcher) Unwatch(slot int) {
	s := w.table.Slot(slot)
	atomic.StoreUint32(&s.Watch, 0)
	if w.ebpf != nil {
		w.ebpf.unwatch(slot)
	}
}

// Totals sums the watcher's counters over all slots.
func (w *Watcher) Totals() (ticks, flags, signals, sigFails uint64) {
	for i := range w.table.Len() {
		s := w.table.Slot(i)
		ticks += atomic.LoadUint64(&s.Ticks)
		flags += atomic.LoadUint64(&s.Flags)
		signals += atomic.LoadUint64(&s.Signals)
		sigFails += atomic.LoadUint64(&s.SigFails)
	}
	return
}

// Kick tells the watcher that an M is about to run Gs after being idle:
// a sysmon backed off to its long idle sleep wakes and samples every
// quantum again. One load unless the sysmon is backed off; nothing for
// the eBPF watcher, whose ticks follow each M's own CPU time. Any thread.
func (w *Watcher) Kick() {
	if w.sysmon != nil {
		w.sysmon.kickIfIdle()
	}
}

// Close stops the watcher and releases the table. The Ms must have stopped.
func (w *Watcher) Close() error {
	w.closeOnce.Do(func() {
		if w.sysmon != nil {
			w.sysmon.stop()
		}
		if w.ebpf != nil {
			// Detach first: a tick after the relay stopped listening
			// would deliver the signal to a program that no longer
			// handles it, and its default action ends the process.
			for i := range w.table.Len() {
				w.ebpf.unwatch(i)
			}
		}
		if w.relay != nil {
			w.relay.stop() // before the table goes: it reads the table
		}
		if w.ebpf != nil {
			w.closeErr = w.ebpf.close()
			return
		}
		w.closeErr = w.table.close()
	})
	return w.closeErr
}

// tick applies the sampling rule to one slot and reports whether the G on
// it must be escalated now (it ran two sample periods without polling).
// The same rule runs in BPF (bpf/quantum.bpf.c); the sysmon calls this.
func tick(s *Slot) (escalate bool, seq uint64) {
	atomic.AddUint64(&s.Ticks, 1)
	seq = atomic.LoadUint64(&s.Seq)
	if atomic.LoadUint32(&s.Watch) == 0 || seq == 0 || seq != atomic.LoadUint64(&s.LastSeq) {
		atomic.StoreUint64(&s.LastSeq, seq)
		atomic.StoreUint64(&s.Strikes, 0)
		return false, seq
	}
	strikes := atomic.AddUint64(&s.Strikes, 1)
	if strikes == 1 && s.InSyscall() != 0 && atomic.LoadUint64(&s.Signaled) != seq {
		// Blocked in a hooked call for a whole period: hand its work off
		// now (Go's sysmon retakes a P in a system call after 20 µs; this
		// watcher can only look once per period). Only sysmon gets here
		// for a blocked M: a task-clock tick never fires on one.
		atomic.StoreUint64(&s.Signaled, seq)
		atomic.AddUint64(&s.Signals, 1)
		return true, seq
	}
	if strikes == 1 {
		if atomic.LoadUint64(&s.Preempt) != seq {
			atomic.StoreUint64(&s.Preempt, seq)
			atomic.AddUint64(&s.Flags, 1)
		}
		return false, seq
	}
	if atomic.LoadUint64(&s.Signaled) == seq {
		return false, seq
	}
	atomic.StoreUint64(&s.Signaled, seq)
	atomic.AddUint64(&s.Signals, 1)
	return true, seq
}

// handle calls Escalate for every slot escalated since the last look. Only
// one goroutine calls it (the relay or the sysmon).
func (w *Watcher) handle() {
	for i := range w.table.Len() {
		s := w.table.Slot(i)
		sg := atomic.LoadUint64(&s.Signaled)
		if sg == 0 || sg == atomic.LoadUint64(&s.Handled) {
			continue
		}
		atomic.StoreUint64(&s.Handled, sg)
		w.escalate(i, sg)
	}
}
