package usched

import (
	"fmt"
	"slices"
	"strings"
)

// MetricKind says how a metric's value moves, which decides how to read
// it: the rate of a counter, the current value of a gauge.
type MetricKind int

const (
	// MetricCounter only grows over the life of a runtime (runtime/metrics
	// calls it cumulative): its rate is the difference of two readings.
	MetricCounter MetricKind = iota + 1
	// MetricGauge is a current value, or a summary of the samples so far:
	// it may go down.
	MetricGauge
)

func (k MetricKind) String() string {
	switch k {
	case MetricCounter:
		return "counter"
	case MetricGauge:
		return "gauge"
	}
	return fmt.Sprintf("MetricKind(%d)", int(k))
}

// Metric is one field of Stats, by name.
type Metric struct {
	// Name is "/usched/<path>:<unit>", in the form of runtime/metrics:
	// the unit after the colon is what is counted (gs, steals, seconds...).
	// The same path may carry several units, as /usched/steals:gs (Gs
	// moved) and /usched/steals:steals (steal operations) do.
	Name string
	Kind MetricKind
	// Help says in one line what is counted.
	Help string
	// Value is the runtime-wide value: for a per-P metric, the sum over
	// every P, spare Ps included.
	Value float64
	// PerP holds a per-P metric's value for each P: index i is the P that
	// Stats calls P i (Stats.Ps, then Stats.SparePs). Nil for a metric of
	// the whole runtime.
	PerP []float64
}

// metricDesc describes one metric and where Stats keeps it: perP for a
// PStats field, whole for a Stats field.
type metricDesc struct {
	name  string
	kind  MetricKind
	help  string
	perP  func(*PStats) float64
	whole func(*Stats) float64
}

func u(n uint64) float64 { return float64(n) }

// metricDescs is the list of metrics, in the order Metrics returns them.
// The doc comment of Stats.Metrics lists them too: TestMetricsDocumented
// keeps the two in step.
var metricDescs = []metricDesc{
	// Per P.
	{name: "/usched/gs/spawned:gs", kind: MetricCounter, help: "Gs created on the P by G.Go and Group.Go", perP: func(ps *PStats) float64 { return u(ps.SpawnedGs) }},
	{name: "/usched/gs/run:gs", kind: MetricCounter, help: "Gs started on the P", perP: func(ps *PStats) float64 { return u(ps.RanGs) }},
	{name: "/usched/gs/finished:gs", kind: MetricCounter, help: "Gs that returned or panicked on the P", perP: func(ps *PStats) float64 { return u(ps.FinishedGs) }},
	{name: "/usched/gs/panicked:gs", kind: MetricCounter, help: "Gs that panicked on the P", perP: func(ps *PStats) float64 { return u(ps.PanickedGs) }},
	{name: "/usched/gs/not-run:gs", kind: MetricCounter, help: "Gs dropped without running after Close", perP: func(ps *PStats) float64 { return u(ps.NotRunGs) }},
	{name: "/usched/gs/local-pops:gs", kind: MetricCounter, help: "Gs taken from the P's runnext slot or deque", perP: func(ps *PStats) float64 { return u(ps.LocalPopGs) }},
	{name: "/usched/gs/global-pops:gs", kind: MetricCounter, help: "Gs taken from the global queue", perP: func(ps *PStats) float64 { return u(ps.GlobalPopGs) }},
	{name: "/usched/gs/resumed:gs", kind: MetricCounter, help: "suspended Gs resumed from the M's resume queue", perP: func(ps *PStats) float64 { return u(ps.ResumedGs) }},
	{name: "/usched/gs/suspended:gs", kind: MetricCounter, help: "Gs that suspended (Yield, Group.Wait)", perP: func(ps *PStats) float64 { return u(ps.Suspends) }},
	{name: "/usched/gs/overflowed:gs", kind: MetricCounter, help: "Gs moved from the P's overlong deque to the global queue", perP: func(ps *PStats) float64 { return u(ps.OverflowGs) }},
	{name: "/usched/gs/runq:gs", kind: MetricGauge, help: "Gs queued on the P now", perP: func(ps *PStats) float64 { return float64(ps.RunqGs) }},
	{name: "/usched/steals/attempts:probes", kind: MetricCounter, help: "victims probed for work by the P", perP: func(ps *PStats) float64 { return u(ps.StealAttempts) }},
	{name: "/usched/steals:steals", kind: MetricCounter, help: "probes by the P that moved at least one G", perP: func(ps *PStats) float64 { return u(ps.Steals) }},
	{name: "/usched/steals:gs", kind: MetricCounter, help: "Gs stolen by the P (steals in)", perP: func(ps *PStats) float64 { return u(ps.StolenGs) }},
	{name: "/usched/steals/out:gs", kind: MetricCounter, help: "Gs other Ps stole from the P (steals out)", perP: func(ps *PStats) float64 { return u(ps.StolenFromGs) }},
	{name: "/usched/parks:parks", kind: MetricCounter, help: "times the P's M went idle to sleep on its futex", perP: func(ps *PStats) float64 { return u(ps.Parks) }},
	{name: "/usched/spins:spins", kind: MetricCounter, help: "spin rounds of the P's M while searching for work", perP: func(ps *PStats) float64 { return u(ps.Spins) }},
	{name: "/usched/yields:yields", kind: MetricCounter, help: "G.Yield calls and preemption polls that yielded", perP: func(ps *PStats) float64 { return u(ps.Yields) }},
	{name: "/usched/backpressures:spawns", kind: MetricCounter, help: "spawns that yielded the spawning G because every queue was overlong", perP: func(ps *PStats) float64 { return u(ps.Backpressures) }},
	{name: "/usched/preemptions:gs", kind: MetricCounter, help: "polls that found their G over its quantum and yielded it", perP: func(ps *PStats) float64 { return u(ps.Preemptions) }},
	{name: "/usched/handoffs:handoffs", kind: MetricCounter, help: "spare Ps: escalated Ms whose CPU the P's M took over", perP: func(ps *PStats) float64 { return u(ps.Handoffs) }},
	{name: "/usched/sleeps:calls", kind: MetricCounter, help: "G.Sleep calls", perP: func(ps *PStats) float64 { return u(ps.Sleeps) }},
	{name: "/usched/syscalls:calls", kind: MetricCounter, help: "blocking calls entered through Read, Write, Syscall...", perP: func(ps *PStats) float64 { return u(ps.Syscalls) }},
	{name: "/usched/syscalls/handoffs:calls", kind: MetricCounter, help: "blocking calls during which the M's work went to a spare M", perP: func(ps *PStats) float64 { return u(ps.SyscallHandoffs) }},
	{name: "/usched/syscalls/stalls:calls", kind: MetricCounter, help: "handed-off calls that kept Gs suspended on their M waiting", perP: func(ps *PStats) float64 { return u(ps.SyscallStalls) }},

	// The whole runtime.
	{name: "/usched/procs:ps", kind: MetricGauge, help: "Ps of the runtime", whole: func(st *Stats) float64 { return float64(st.Procs) }},
	{name: "/usched/gomaxprocs:threads", kind: MetricGauge, help: "GOMAXPROCS in force", whole: func(st *Stats) float64 { return float64(st.GOMAXPROCS) }},
	{name: "/usched/gs/submitted:gs", kind: MetricCounter, help: "Gs accepted by Runtime.Go and TryGo", whole: func(st *Stats) float64 { return u(st.SubmittedGs) }},
	{name: "/usched/gs/rejected:gs", kind: MetricCounter, help: "Gs refused after Close", whole: func(st *Stats) float64 { return u(st.RejectedGs) }},
	{name: "/usched/gs/global-queue:gs", kind: MetricGauge, help: "submitted Gs not yet taken by a P", whole: func(st *Stats) float64 { return float64(st.GlobalQueueGs) }},
	{name: "/usched/ms/idle:threads", kind: MetricGauge, help: "Ms parked", whole: func(st *Stats) float64 { return float64(st.IdleMs) }},
	{name: "/usched/ms/spinning:threads", kind: MetricGauge, help: "Ms searching for work", whole: func(st *Stats) float64 { return float64(st.SpinningMs) }},
	{name: "/usched/sched/latency/samples:gs", kind: MetricCounter, help: "Gs whose runnable-to-running latency was sampled", whole: func(st *Stats) float64 { return u(st.SchedLatency.Count()) }},
	{name: "/usched/sched/latency/p50:seconds", kind: MetricGauge, help: "median sampled scheduling latency (upper bound of its log2 bucket)", whole: latencyQuantile(0.50)},
	{name: "/usched/sched/latency/p90:seconds", kind: MetricGauge, help: "90th percentile of the sampled scheduling latency (upper bound of its log2 bucket)", whole: latencyQuantile(0.90)},
	{name: "/usched/sched/latency/p99:seconds", kind: MetricGauge, help: "99th percentile of the sampled scheduling latency (upper bound of its log2 bucket)", whole: latencyQuantile(0.99)},
	{name: "/usched/sched/latency/p999:seconds", kind: MetricGauge, help: "99.9th percentile of the sampled scheduling latency (upper bound of its log2 bucket)", whole: latencyQuantile(0.999)},
	{name: "/usched/preempt/quantum:seconds", kind: MetricGauge, help: "preemption quantum in force (0 when off)", whole: func(st *Stats) float64 { return st.Preemption.Quantum.Seconds() }},
	{name: "/usched/preempt/ticks:samples", kind: MetricCounter, help: "the watcher's samples of busy Ms", whole: func(st *Stats) float64 { return u(st.Preemption.TicksN) }},
	{name: "/usched/preempt/flagged:gs", kind: MetricCounter, help: "Gs the watcher found over their quantum", whole: func(st *Stats) float64 { return u(st.Preemption.FlaggedGs) }},
	{name: "/usched/preempt/escalations:gs", kind: MetricCounter, help: "Gs that ran two quanta without polling", whole: func(st *Stats) float64 { return u(st.Preemption.Escalations) }},
	{name: "/usched/preempt/signal-fails:signals", kind: MetricCounter, help: "signal sends the eBPF watcher had to retry", whole: func(st *Stats) float64 { return u(st.Preemption.SignalFails) }},
	{name: "/usched/preempt/handoffs:handoffs", kind: MetricCounter, help: "escalations whose CPU a spare M took over", whole: func(st *Stats) float64 { return u(st.Preemption.Handoffs) }},
	{name: "/usched/preempt/spare-misses:handoffs", kind: MetricCounter, help: "escalations that found no spare M free", whole: func(st *Stats) float64 { return u(st.Preemption.SpareMisses) }},
	{name: "/usched/preempt/spare-ms:threads", kind: MetricGauge, help: "bound on spare Ms (Config.MaxSpareMs)", whole: func(st *Stats) float64 { return float64(st.Preemption.SpareMs) }},
	{name: "/usched/preempt/spare-ms/active:threads", kind: MetricGauge, help: "spare Ms serving an escalated or blocked M's CPU now", whole: func(st *Stats) float64 { return float64(st.Preemption.SpareMsActive) }},
	{name: "/usched/preempt/block-handoffs:handoffs", kind: MetricCounter, help: "Ms handed off because the sched_switch reporter saw them block", whole: func(st *Stats) float64 { return u(st.Preemption.BlockHandoffs) }},
	{name: "/usched/preempt/foreign-preempts:events", kind: MetricCounter, help: "Ms preempted by another process's thread", whole: func(st *Stats) float64 { return u(st.Preemption.ForeignPreempts) }},
	{name: "/usched/preempt/lost-switch-events:events", kind: MetricCounter, help: "sched_switch reports the ring buffer dropped", whole: func(st *Stats) float64 { return u(st.Preemption.LostSwitchEvents) }},
	{name: "/usched/policy/urgent-yields:requests", kind: MetricCounter, help: "Ms the Priority policy asked to yield for a better class", whole: func(st *Stats) float64 { return u(st.UrgentPreempts) }},
}

func latencyQuantile(q float64) func(*Stats) float64 {
	return func(st *Stats) float64 { return st.SchedLatency.Quantile(q).Seconds() }
}

// Metrics returns every numeric field of st by name, in the style of
// runtime/metrics: "/usched/<path>:<unit>", where the unit is what is
// counted. Per-P fields give one metric each, with the runtime-wide sum
// in Value and the per-P values in PerP; so the value of a name in
// Metrics is Stats.Total's field.
//
// Per P (MetricCounter unless marked gauge):
//
//	/usched/gs/spawned:gs               SpawnedGs
//	/usched/gs/run:gs                   RanGs
//	/usched/gs/finished:gs              FinishedGs
//	/usched/gs/panicked:gs              PanickedGs
//	/usched/gs/not-run:gs               NotRunGs
//	/usched/gs/local-pops:gs            LocalPopGs
//	/usched/gs/global-pops:gs           GlobalPopGs
//	/usched/gs/resumed:gs               ResumedGs
//	/usched/gs/suspended:gs             Suspends
//	/usched/gs/overflowed:gs            OverflowGs
//	/usched/gs/runq:gs                  RunqGs (gauge)
//	/usched/steals/attempts:probes      StealAttempts
//	/usched/steals:steals               Steals
//	/usched/steals:gs                   StolenGs (steals in)
//	/usched/steals/out:gs               StolenFromGs (steals out)
//	/usched/parks:parks                 Parks
//	/usched/spins:spins                 Spins
//	/usched/yields:yields               Yields
//	/usched/backpressures:spawns        Backpressures
//	/usched/preemptions:gs              Preemptions
//	/usched/handoffs:handoffs           Handoffs
//	/usched/sleeps:calls                Sleeps
//	/usched/syscalls:calls              Syscalls
//	/usched/syscalls/handoffs:calls     SyscallHandoffs
//	/usched/syscalls/stalls:calls       SyscallStalls
//
// The whole runtime:
//
//	/usched/procs:ps                            Procs (gauge)
//	/usched/gomaxprocs:threads                  GOMAXPROCS (gauge)
//	/usched/gs/submitted:gs                     SubmittedGs
//	/usched/gs/rejected:gs                      RejectedGs
//	/usched/gs/global-queue:gs                  GlobalQueueGs (gauge)
//	/usched/ms/idle:threads                     IdleMs (gauge)
//	/usched/ms/spinning:threads                 SpinningMs (gauge)
//	/usched/sched/latency/samples:gs            SchedLatency.Count()
//	/usched/sched/latency/p50:seconds           SchedLatency.Quantile(0.5) (gauge; also p90, p99, p999)
//	/usched/preempt/quantum:seconds             Preemption.Quantum (gauge)
//	/usched/preempt/ticks:samples               Preemption.TicksN
//	/usched/preempt/flagged:gs                  Preemption.FlaggedGs
//	/usched/preempt/escalations:gs              Preemption.Escalations
//	/usched/preempt/signal-fails:signals        Preemption.SignalFails
//	/usched/preempt/handoffs:handoffs           Preemption.Handoffs
//	/usched/preempt/spare-misses:handoffs       Preemption.SpareMisses
//	/usched/preempt/spare-ms:threads            Preemption.SpareMs (gauge)
//	/usched/preempt/spare-ms/active:threads     Preemption.SpareMsActive (gauge)
//	/usched/preempt/block-handoffs:handoffs     Preemption.BlockHandoffs
//	/usched/preempt/foreign-preempts:events     Preemption.ForeignPreempts
//	/usched/preempt/lost-switch-events:events   Preemption.LostSwitchEvents
//	/usched/policy/urgent-yields:requests       UrgentPreempts
//
// Not numbers, or not one number, and so left to Stats: the steal matrix
// (its row and column sums are /usched/steals/out:gs and /usched/steals:gs
// per P; MetricsHandler exports its cells), the latency histogram's
// buckets, each P's CPU and thread ID, the Policy name and the Preemption
// strings (MetricsHandler exports the CPU, the thread ID, Mode and
// BlockDetection as labels of info metrics).
//
// The list only grows: a name, once published, keeps its meaning.
func (st Stats) Metrics() []Metric {
	out := make([]Metric, len(metricDescs))
	for i := range metricDescs {
		out[i] = metricDescs[i].read(&st)
	}
	return out
}

// Metric returns the metric called name (see Metrics), and whether there
// is one. It reads only that metric, for a caller that polls one name.
func (st Stats) Metric(name string) (Metric, bool) {
	for i := range metricDescs {
		if metricDescs[i].name == name {
			return metricDescs[i].read(&st), true
		}
	}
	return Metric{}, false
}

// read returns d's metric of st.
func (d *metricDesc) read(st *Stats) Metric {
	m := Metric{Name: d.name, Kind: d.kind, Help: d.help}
	if d.perP == nil {
		m.Value = d.whole(st)
		return m
	}
	m.PerP = make([]float64, 0, len(st.Ps)+len(st.SparePs))
	for _, ps := range [][]PStats{st.Ps, st.SparePs} {
		for j := range ps {
			v := d.perP(&ps[j])
			m.PerP = append(m.PerP, v)
			m.Value += v
		}
	}
	return m
}

// promName returns the Prometheus name of a metric called name: "usched"
// and the path with '/' and '-' as '_', then the unit unless the path
// already has it as a word (so /usched/steals:steals is usched_steals,
// /usched/steals:gs usched_steals_gs), then "_total" for a counter, as the
// Prometheus naming conventions ask.
func promName(name string, kind MetricKind) string {
	path, unit, _ := strings.Cut(strings.TrimPrefix(name, "/"), ":")
	words := strings.FieldsFunc(path, func(r rune) bool { return r == '/' || r == '-' })
	s := strings.Join(words, "_")
	if unit != "" && !slices.Contains(words, unit) {
		s += "_" + unit
	}
	if kind == MetricCounter {
		s += "_total"
	}
	return s
}
