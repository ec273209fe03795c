package m

import (
	"runtime"

	"github.com/usched/usched/p"
)

// PSnapshot is one P's published state.
type PSnapshot struct {
	ID         int
	CPU        int // the CPU its M is pinned to, -1 when unpinned
	TID        int // its M's OS thread ID
	C          [p.NumCounters]uint64
	StolenFrom []uint64 // StolenFrom[v]: Gs this P stole from P v
	RunqLen    int
	Latency    [p.LatencyBuckets]uint64
}

// Snapshot is the published state of a runtime. Counters of a running M
// lag by at most fairnessTicks scheduling rounds; an idle M's are exact.
type Snapshot struct {
	Ps          []PSnapshot
	SubmittedGs uint64
	RejectedGs  uint64
	GlobalRunq  int64
	IdleMs      int
	SpinningMs  int
	GOMAXPROCS  int
	Closed      bool
}

// Snapshot reads every P's published counters. Any goroutine.
func (s *Sched) Snapshot() Snapshot {
	snap := Snapshot{
		Ps:          make([]PSnapshot, len(s.ps)),
		SubmittedGs: s.submitted.Load(),
		RejectedGs:  s.rejected.Load(),
		GlobalRunq:  s.global.Len(),
		IdleMs:      int(s.nidle.Load()),
		SpinningMs:  int(s.nspinning.Load()),
		GOMAXPROCS:  runtime.GOMAXPROCS(0),
		Closed:      s.closed.Load(),
	}
	for i, pp := range s.ps {
		ps := &snap.Ps[i]
		ps.ID, ps.CPU, ps.TID = i, s.ms[i].cpu, s.ms[i].TID()
		for k := range ps.C {
			ps.C[k] = pp.C.Load(p.Counter(k))
		}
		ps.StolenFrom = make([]uint64, len(s.ps))
		for v := range ps.StolenFrom {
			ps.StolenFrom[v] = pp.C.LoadStolenFrom(v)
		}
		ps.RunqLen = pp.RunqLen()
		for b := range ps.Latency {
			ps.Latency[b] = pp.Latency.Load(b)
		}
	}
	return snap
}

// Ms returns the runtime's Ms (for tests and the stats of pinning).
func (s *Sched) Ms() []*M { return s.ms }
