package m

import (
	"runtime"
	"time"

	"github.com/usched/usched/p"
)

// PSnapshot is one P's published state.
type PSnapshot struct {
	ID         int
	CPU        int  // the CPU its M is pinned to, -1 when unpinned
	Spare      bool // the P of a spare M
	TID        int  // its M's OS thread ID
	C          [p.NumCounters]uint64
	StolenFrom []uint64 // StolenFrom[v]: Gs this P stole from P v
	RunqLen    int
	Latency    [p.LatencyBuckets]uint64
}

// Snapshot is the published state of a runtime. Counters of a running M
// lag by at most fairnessTicks scheduling rounds; an idle M's are exact.
type Snapshot struct {
	Ps             []PSnapshot
	SubmittedGs    uint64
	RejectedGs     uint64
	GlobalRunq     int64
	Policy         string
	UrgentPreempts uint64 // preempt words the policy set (Priority)
	IdleMs         int
	SpinningMs     int
	GOMAXPROCS     int
	Closed         bool

	// Preemption.
	PreemptMode     string // "ebpf", "sysmon" or "off"
	PreemptReason   string // why eBPF is not in force; "" when it is
	Quantum         time.Duration
	Demotion        string // why overrunning Ms are not demoted; "" when they are
	Escalations     uint64 // Gs whose M's CPU was handed to a spare
	BlockHandoffs   uint64 // Ms handed off because the sched_switch reporter saw them block
	ForeignPreempts uint64 // Ms preempted by another process's thread
	LostSwitches    uint64 // sched_switch events the ring buffer dropped
	Switches        bool   // the sched_switch reporter is on
	SpareMisses     uint64 // escalations that found no spare free
	SpareMs         int    // spare Ms (the bound)
	SpareMsActive   int    // spare Ms out of the pool now
	WatcherTicks    uint64 // samples the watcher took
	WatcherFlags    uint64 // Gs it flagged as over their quantum
	Signals         uint64 // escalations it signalled (eBPF) or called (sysmon)
	SignalFails     uint64 // signal sends that failed and were retried
}

// Snapshot reads every P's published counters. Any goroutine.
func (s *Sched) Snapshot() Snapshot {
	snap := Snapshot{
		Ps:          make([]PSnapshot, len(s.ps)),
		SubmittedGs: s.submitted.Load(),
		RejectedGs:  s.rejected.Load(),
		GlobalRunq:  s.pol.GlobalQueued(),
		Policy:      s.pol.Name(),
		IdleMs:      int(s.nidle.Load()),
		SpinningMs:  int(s.nspinning.Load()),
		GOMAXPROCS:  runtime.GOMAXPROCS(0),
		Closed:      s.closed.Load(),

		PreemptMode:     s.watcher.Mode().String(),
		PreemptReason:   s.watcher.Reason(),
		Quantum:         s.watcher.Quantum(),
		Escalations:     s.escalations.Load(),
		BlockHandoffs:   s.blockHandoffs.Load(),
		ForeignPreempts: s.foreignPreempts.Load(),
		Switches:        s.watcher.Switches(),
		SpareMisses:     s.spareMisses.Load(),
		SpareMs:         len(s.spares),
		SpareMsActive:   int(s.nspare.Load()),
	}
	if s.demotion != nil {
		snap.Demotion = s.demotion.Error()
	}
	t := s.watcherTotals()
	snap.WatcherTicks, snap.WatcherFlags, snap.Signals, snap.SignalFails, snap.LostSwitches = t[0], t[1], t[2], t[3], t[4]
	for i, pp := range s.ps {
		ps := &snap.Ps[i]
		mp := s.allMs[i]
		ps.ID, ps.CPU, ps.TID, ps.Spare = i, mp.CPU(), mp.TID(), mp.spare
		for k := range ps.C {
			ps.C[k] = pp.C.Load(p.Counter(k))
		}
		ps.StolenFrom = make([]uint64, len(s.ps))
		for v := range ps.StolenFrom {
			ps.StolenFrom[v] = pp.C.LoadStolenFrom(v)
		}
		ps.RunqLen = s.pol.Queued(pp)
		for b := range ps.Latency {
			ps.Latency[b] = pp.Latency.Load(b)
		}
	}
	if u, ok := s.pol.(interface{ Urgent() uint64 }); ok {
		snap.UrgentPreempts = u.Urgent()
	}
	return snap
}

// watcherTotals returns the watcher's counters: live while it runs, the
// last values once Close has stopped it (its table is unmapped then).
func (s *Sched) watcherTotals() [5]uint64 {
	s.watchMu.RLock()
	defer s.watchMu.RUnlock()
	if s.watchDone {
		return s.watchFinal
	}
	var t [5]uint64
	t[0], t[1], t[2], t[3] = s.watcher.Totals()
	t[4] = s.watcher.LostSwitches()
	return t
}

// closeWatcher stops the watcher, keeping its final counters.
func (s *Sched) closeWatcher() error {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	t := &s.watchFinal
	t[0], t[1], t[2], t[3] = s.watcher.Totals()
	t[4] = s.watcher.LostSwitches()
	s.watchDone = true
	return s.watcher.Close()
}
