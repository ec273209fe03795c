package m

import "sync"

// Tracing: while a trace runs, each M records a sample of the Gs it runs
// (one in every TraceConfig.Every, with start and end times) and every
// steal, into a bounded buffer of its own. Off, it costs one atomic
// pointer load per G (a plain load on amd64 and arm64); on, a clock read
// at each end of a sampled G and at each steal, and a lock on the M's own
// buffer (uncontended but for StopTrace).

// TraceKind says what a TraceEvent records.
type TraceKind uint8

const (
	TraceG     TraceKind = iota + 1 // a sampled G ran on M from Start to End
	TraceSteal                      // at Start, M's P stole N Gs from P Victim
)

// TraceEvent is one record of a trace. Times are ns since the runtime
// started.
type TraceEvent struct {
	Kind       TraceKind
	M, P       int
	Victim, N  int
	GID        uint64
	Start, End int64
}

// traceBuf is one M's share of a trace.
type traceBuf struct {
	every   uint32
	n       uint32 // owner-only: Gs seen, for sampling
	max     int
	mu      sync.Mutex
	events  []TraceEvent // protected by mu
	dropped uint64       // protected by mu: events past max
}

func (tb *traceBuf) add(ev TraceEvent) {
	tb.mu.Lock()
	if len(tb.events) < tb.max {
		tb.events = append(tb.events, ev)
	} else {
		tb.dropped++
	}
	tb.mu.Unlock()
}

// sampleStart returns the start time of gp's slice if gp is sampled, else 0.
func (mp *M) sampleStart(tb *traceBuf) int64 {
	tb.n++
	if tb.n%tb.every != 0 {
		return 0
	}
	return mp.s.now()
}

// traceG records a sampled G's slice.
func (mp *M) traceG(tb *traceBuf, gid uint64, start int64) {
	tb.add(TraceEvent{Kind: TraceG, M: mp.id, P: mp.pp.ID, GID: gid, Start: start, End: mp.s.now()})
}

// traceSteal records a steal by mp's P.
func (mp *M) traceSteal(victim, n int) {
	if tb := mp.trace.Load(); tb != nil {
		tb.add(TraceEvent{Kind: TraceSteal, M: mp.id, P: mp.pp.ID, Victim: victim, N: n, Start: mp.s.now()})
	}
}

// StartTrace starts recording on every M: one G in every `every`, at most
// max events per M. It returns false if a trace is already running.
func (s *Sched) StartTrace(every, max int) bool {
	s.traceMu.Lock()
	defer s.traceMu.Unlock()
	if s.tracing {
		return false
	}
	s.tracing = true
	for _, mp := range s.allMs {
		mp.trace.Store(&traceBuf{every: uint32(max1(every)), max: max1(max)})
	}
	return true
}

// StopTrace stops the trace and returns its events, in no particular
// order, and how many were dropped for want of room.
func (s *Sched) StopTrace() (events []TraceEvent, dropped uint64) {
	s.traceMu.Lock()
	defer s.traceMu.Unlock()
	if !s.tracing {
		return nil, 0
	}
	s.tracing = false
	for _, mp := range s.allMs {
		tb := mp.trace.Swap(nil)
		tb.mu.Lock() // an M may still be adding to it: wait for that
		events = append(events, tb.events...)
		dropped += tb.dropped
		tb.mu.Unlock()
	}
	return events, dropped
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}
