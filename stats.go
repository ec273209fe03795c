package usched

import (
	"slices"
	"time"

	"github.com/usched/usched/asm"
	"github.com/usched/usched/p"
)

// Stats is a snapshot of a runtime's counters. Counters are monotonic and
// per P; each P's are updated by its own M with plain stores and published
// every few dozen scheduling rounds and whenever the M parks, so a busy
// P's counters lag slightly while an idle runtime's are exact. Reading
// Stats never slows the Ms down.
type Stats struct {
	// Procs is the number of Ps; GOMAXPROCS the value in force (see the
	// package documentation for the rule).
	Procs      int
	GOMAXPROCS int
	// Policy names the scheduling policy: "work-stealing", "priority" or
	// "centralized". UrgentPreempts counts the Gs the Priority policy
	// asked to yield because a better class became runnable (they also
	// count in PStats.Preemptions when they yield).
	Policy         string
	UrgentPreempts uint64
	// Ps holds one entry per P.
	Ps []PStats
	// SparePs holds one entry per spare M's P (see Preemption). Their
	// index P counts on from the last of Ps.
	SparePs []PStats
	// StealMatrix[v][t] is the number of Gs P t stole from P v (victim x
	// thief), over Ps and then SparePs.
	StealMatrix [][]uint64
	// SubmittedGs counts Gs accepted by Runtime.Go/TryGo; RejectedGs those
	// refused after Close.
	SubmittedGs uint64
	RejectedGs  uint64
	// GlobalQueueGs is the number of submitted Gs not yet taken by a P.
	GlobalQueueGs int64
	// IdleMs are parked; SpinningMs are searching for work.
	IdleMs     int
	SpinningMs int
	// SchedLatency is the sampled time from runnable (spawned or
	// submitted) to running, over all Ps.
	SchedLatency LatencyHistogram

	Preemption PreemptionStats
}

// PreemptionStats describes the preemption watcher and what it did.
type PreemptionStats struct {
	// Mode is the watcher in force: "ebpf", "sysmon" or "off". Reason says
	// in words why eBPF is not in force ("" when it is).
	Mode   string
	Reason string
	// Quantum is the quantum in force (0 when off).
	Quantum time.Duration
	// Demotion says why an escalated M's thread is not demoted to
	// nice 19 ("" when it is).
	Demotion string
	// TicksN counts the watcher's samples of busy Ms; FlaggedGs the Gs it
	// found over their quantum; Escalations the Gs that ran two quanta
	// without polling (signalled by eBPF, or reported by sysmon);
	// SignalFails the signal sends BPF had to retry.
	TicksN      uint64
	FlaggedGs   uint64
	Escalations uint64
	SignalFails uint64
	// Handoffs counts escalations whose CPU a spare M took over;
	// SpareMisses those that found no spare free.
	Handoffs    uint64
	SpareMisses uint64
	// SpareMs is the bound on spare Ms (Config.MaxSpareMs); SpareMsActive
	// how many are serving an escalated or blocked M's CPU now.
	SpareMs       int
	SpareMsActive int

	// Blocking detection. BlockDetection is "ebpf" when the sched_switch
	// reporter sees Ms block as it happens, else "watcher" (a blocked M is
	// handed off by the watcher's escalation: sysmon at its next tick).
	// BlockHandoffs counts Ms handed off because they blocked (as the
	// reporter saw; hooked calls under sysmon count in Handoffs);
	// ForeignPreempts the Ms preempted by another process's thread (an
	// idle M is woken to steal their work); LostSwitchEvents the reports
	// the ring buffer dropped.
	BlockDetection   string
	BlockHandoffs    uint64
	ForeignPreempts  uint64
	LostSwitchEvents uint64
}

// PStats is one P's counters. Each name ends in its unit.
type PStats struct {
	P   int // index of the P
	CPU int // CPU its M is pinned to, -1 when unpinned
	TID int // OS thread ID of its M

	SpawnedGs     uint64 // Gs created on this P by G.Go and Group.Go
	RanGs         uint64 // Gs started on this P
	FinishedGs    uint64 // Gs that returned or panicked on this P
	PanickedGs    uint64 // of those, Gs that panicked
	NotRunGs      uint64 // Gs dropped without running after Close
	LocalPopGs    uint64 // Gs taken from this P's runnext or deque
	GlobalPopGs   uint64 // Gs taken from the global queue
	ResumedGs     uint64 // suspended Gs resumed from the M's resume queue
	StealAttempts uint64 // victims probed for work
	Steals        uint64 // probes that moved at least one G
	StolenGs      uint64 // Gs stolen by this P (steals in)
	StolenFromGs  uint64 // Gs other Ps stole from this P (steals out)
	Parks         uint64 // times the M went idle (joined the idle list to sleep on its futex)
	Spins         uint64 // spin rounds while searching for work
	Yields        uint64 // G.Yield calls (and preemption polls that yielded)
	Suspends      uint64 // Gs that suspended (Yield, Group.Wait)
	OverflowGs    uint64 // Gs moved from this P's overlong deque to the global queue for other Ms
	Backpressures uint64 // spawns that yielded the spawning G because every queue was overlong
	Preemptions   uint64 // polls (G.Check, runtime calls) that found the G over its quantum and yielded it
	Handoffs      uint64 // spare Ps only: escalated Ms whose CPU this P's M took over
	Sleeps        uint64 // G.Sleep calls
	// Blocking calls through Read, Write, Syscall... (package hook):
	// entered, those during which the M's work went to a spare M, and of
	// those the ones that kept Gs suspended on this M waiting (they can
	// run only on their own M).
	Syscalls        uint64
	SyscallHandoffs uint64
	SyscallStalls   uint64
	// SyscallStallTime bounds how long those Gs waited: the summed
	// duration of the calls that kept them waiting.
	SyscallStallTime time.Duration
	RunqGs           int // Gs queued on this P now (racy snapshot)
}

// Stats returns a snapshot of the runtime's counters. Any goroutine.
func (rt *Runtime) Stats() Stats {
	snap := rt.s.Snapshot()
	st := Stats{
		Procs:          rt.procs,
		GOMAXPROCS:     snap.GOMAXPROCS,
		Policy:         snap.Policy,
		UrgentPreempts: snap.UrgentPreempts,
		Ps:             make([]PStats, len(snap.Ps)),
		StealMatrix:    make([][]uint64, len(snap.Ps)),
		SubmittedGs:    snap.SubmittedGs,
		RejectedGs:     snap.RejectedGs,
		GlobalQueueGs:  snap.GlobalRunq,
		IdleMs:         snap.IdleMs,
		SpinningMs:     snap.SpinningMs,
		Preemption: PreemptionStats{
			Mode: snap.PreemptMode, Reason: snap.PreemptReason, Quantum: snap.Quantum,
			Demotion: snap.Demotion, TicksN: snap.WatcherTicks, FlaggedGs: snap.WatcherFlags,
			Escalations: snap.Signals, SignalFails: snap.SignalFails,
			Handoffs: snap.Escalations, SpareMisses: snap.SpareMisses,
			SpareMs: snap.SpareMs, SpareMsActive: snap.SpareMsActive,
			BlockDetection: "watcher", BlockHandoffs: snap.BlockHandoffs,
			ForeignPreempts: snap.ForeignPreempts, LostSwitchEvents: snap.LostSwitches,
		},
	}
	for v := range st.StealMatrix {
		st.StealMatrix[v] = make([]uint64, len(snap.Ps))
	}
	var lat [p.LatencyBuckets]uint64
	for i, ps := range snap.Ps {
		c := &ps.C
		st.Ps[i] = PStats{
			P: ps.ID, CPU: ps.CPU, TID: ps.TID,
			SpawnedGs: c[p.SpawnedGs], RanGs: c[p.RanGs], FinishedGs: c[p.FinishedGs],
			PanickedGs: c[p.PanickedGs], NotRunGs: c[p.NotRunGs],
			LocalPopGs: c[p.LocalPops], GlobalPopGs: c[p.GlobalPops], ResumedGs: c[p.ResumedGs],
			StealAttempts: c[p.StealAttempts], Steals: c[p.Steals], StolenGs: c[p.StolenGs],
			Parks: c[p.Parks], Spins: c[p.Spins], Yields: c[p.Yields], Suspends: c[p.Suspends],
			OverflowGs: c[p.OverflowGs], Backpressures: c[p.Backpressures],
			Preemptions: c[p.Preemptions], Handoffs: c[p.Handoffs], Sleeps: c[p.Sleeps],
			Syscalls: c[p.Syscalls], SyscallHandoffs: c[p.SyscallHandoffs], SyscallStalls: c[p.SyscallStalls],
			SyscallStallTime: time.Duration(float64(c[p.SyscallStallCycles]) / asm.CyclesPerNanosecond()),
			RunqGs:           ps.RunqLen,
		}
		for v, n := range ps.StolenFrom {
			st.StealMatrix[v][i] = n
		}
		for b, n := range ps.Latency {
			lat[b] += n
		}
	}
	for v := range st.StealMatrix {
		for _, n := range st.StealMatrix[v] {
			st.Ps[v].StolenFromGs += n
		}
	}
	if snap.Switches {
		st.Preemption.BlockDetection = "ebpf"
	}
	st.SchedLatency = newLatencyHistogram(lat[:])
	st.Ps, st.SparePs = st.Ps[:rt.procs:rt.procs], st.Ps[rt.procs:]
	return st
}

// Total returns the sum of the per-P counters (P, CPU and TID are -1).
func (st Stats) Total() PStats {
	t := PStats{P: -1, CPU: -1, TID: -1}
	for _, ps := range append(slices.Clip(st.Ps), st.SparePs...) {
		t.SpawnedGs += ps.SpawnedGs
		t.RanGs += ps.RanGs
		t.FinishedGs += ps.FinishedGs
		t.PanickedGs += ps.PanickedGs
		t.NotRunGs += ps.NotRunGs
		t.LocalPopGs += ps.LocalPopGs
		t.GlobalPopGs += ps.GlobalPopGs
		t.ResumedGs += ps.ResumedGs
		t.StealAttempts += ps.StealAttempts
		t.Steals += ps.Steals
		t.StolenGs += ps.StolenGs
		t.StolenFromGs += ps.StolenFromGs
		t.Parks += ps.Parks
		t.Spins += ps.Spins
		t.Yields += ps.Yields
		t.Suspends += ps.Suspends
		t.OverflowGs += ps.OverflowGs
		t.Backpressures += ps.Backpressures
		t.Preemptions += ps.Preemptions
		t.Handoffs += ps.Handoffs
		t.Sleeps += ps.Sleeps
		t.Syscalls += ps.Syscalls
		t.SyscallHandoffs += ps.SyscallHandoffs
		t.SyscallStalls += ps.SyscallStalls
		t.SyscallStallTime += ps.SyscallStallTime
		t.RunqGs += ps.RunqGs
	}
	return t
}

// LatencyHistogram is a log2 histogram of durations. Buckets[i] counts
// samples below Bounds[i] and at or above Bounds[i-1].
type LatencyHistogram struct {
	Bounds  []time.Duration
	Buckets []uint64
}

func newLatencyHistogram(counts []uint64) LatencyHistogram {
	h := LatencyHistogram{Bounds: make([]time.Duration, len(counts)), Buckets: make([]uint64, len(counts))}
	for i, n := range counts {
		h.Bounds[i] = time.Duration(uint64(2) << i) // bucket i holds [2^i, 2^(i+1)) ns
		h.Buckets[i] = n
	}
	return h
}

// Count returns the number of samples.
func (h LatencyHistogram) Count() uint64 {
	var n uint64
	for _, c := range h.Buckets {
		n += c
	}
	return n
}

// Quantile returns an upper bound of the q-quantile (0 <= q <= 1): the
// upper bound of the bucket holding it. Zero when there are no samples.
func (h LatencyHistogram) Quantile(q float64) time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n-1)) + 1
	var seen uint64
	for i, c := range h.Buckets {
		seen += c
		if seen >= rank {
			return h.Bounds[i]
		}
	}
	return h.Bounds[len(h.Bounds)-1]
}
