package usched

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/usched/usched/m"
)

// TraceConfig configures a trace (Runtime.StartTrace). The zero value
// samples one G in 64 and keeps at most 1<<20 events per M.
type TraceConfig struct {
	// SampleEvery records one G in this many, per M; every steal is
	// recorded. Zero means 64.
	SampleEvery int
	// MaxEvents bounds the events kept per M (about 64 bytes each); later
	// ones are counted as dropped. Zero means 1<<20.
	MaxEvents int
}

// ErrTraceRunning is returned by StartTrace while a trace runs.
var ErrTraceRunning = errors.New("usched: a trace is already running")

// StartTrace starts recording which Gs run on which M, and the steals
// between Ps, for StopTrace to write. Sampling bounds the cost: a traced G
// costs two clock reads (about 100 ns), so the default of one G in 64 adds
// about 2 ns a G to tiny tasks; a runtime that is not tracing pays one
// pointer load a G.
func (rt *Runtime) StartTrace(cfg TraceConfig) error {
	if cfg.SampleEvery == 0 {
		cfg.SampleEvery = 64
	}
	if cfg.MaxEvents == 0 {
		cfg.MaxEvents = 1 << 20
	}
	if cfg.SampleEvery < 0 || cfg.MaxEvents < 0 {
		return fmt.Errorf("usched: TraceConfig %+v: values must not be negative", cfg)
	}
	if !rt.s.StartTrace(cfg.SampleEvery, cfg.MaxEvents) {
		return ErrTraceRunning
	}
	return nil
}

// StopTrace stops the trace and writes it to w in the Chrome trace event
// format (JSON), which the Perfetto UI (ui.perfetto.dev, "Open trace
// file") and chrome://tracing read: one track per M, a slice per sampled
// G, and each steal as an instant on the thief's track with a flow arrow
// from the victim's. It returns an error if no trace runs or w fails.
func (rt *Runtime) StopTrace(w io.Writer) error {
	events, dropped := rt.s.StopTrace()
	if events == nil && dropped == 0 {
		return errors.New("usched: StopTrace without a running trace")
	}
	return writeChromeTrace(w, events, dropped, rt.procs)
}

// writeChromeTrace writes events as a Chrome trace: pid 1, tid = the M
// (and P) index; times in µs.
func writeChromeTrace(w io.Writer, events []m.TraceEvent, dropped uint64, procs int) error {
	bw := bufio.NewWriter(w)
	fmt.Fprint(bw, `{"displayTimeUnit":"ns","traceEvents":[`)
	sep := ""
	emit := func(format string, args ...any) {
		bw.WriteString(sep)
		fmt.Fprintf(bw, format, args...)
		sep = ",\n"
	}
	tracks := map[int]bool{}
	for _, ev := range events {
		tracks[ev.M] = true
		if ev.Kind == m.TraceSteal {
			tracks[ev.Victim] = true
		}
	}
	for tid := range tracks {
		name := fmt.Sprintf("M%d (P%d)", tid, tid)
		if tid >= procs {
			name = fmt.Sprintf("spare M S%d", tid-procs)
		}
		emit(`{"name":"thread_name","ph":"M","pid":1,"tid":%d,"args":{"name":%q}}`, tid, name)
	}
	us := func(ns int64) float64 { return float64(ns) / 1e3 }
	flow := 0
	for _, ev := range events {
		switch ev.Kind {
		case m.TraceG:
			emit(`{"name":"G","cat":"g","ph":"X","pid":1,"tid":%d,"ts":%.3f,"dur":%.3f,"args":{"gid":"%#x","p":%d}}`,
				ev.M, us(ev.Start), us(ev.End-ev.Start), ev.GID, ev.P)
		case m.TraceSteal:
			flow++
			emit(`{"name":"steal","cat":"steal","ph":"s","id":%d,"pid":1,"tid":%d,"ts":%.3f}`, flow, ev.Victim, us(ev.Start))
			emit(`{"name":"steal","cat":"steal","ph":"f","bp":"e","id":%d,"pid":1,"tid":%d,"ts":%.3f}`, flow, ev.M, us(ev.Start))
			emit(`{"name":"steal %d Gs from P%d","cat":"steal","ph":"i","s":"t","pid":1,"tid":%d,"ts":%.3f,"args":{"victim":%d,"gs":%d}}`,
				ev.N, ev.Victim, ev.M, us(ev.Start), ev.Victim, ev.N)
		}
	}
	fmt.Fprintf(bw, "],\n\"otherData\":{\"droppedEvents\":\"%d\"}}\n", dropped)
	return bw.Flush()
}
