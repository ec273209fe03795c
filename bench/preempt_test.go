package bench

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usched/usched"
)

// preemptModes are the watchers compared by the preemption benchmarks.
var preemptModes = []struct {
	name string
	mode usched.PreemptMode
}{
	{"ebpf", usched.PreemptEBPF},
	{"sysmon", usched.PreemptSysmon},
}

// newWatched starts a one-P runtime on CPU 0 with the given watcher, or
// skips the benchmark when eBPF is asked for and cannot load here.
func newWatched(b *testing.B, mode usched.PreemptMode, q time.Duration) *usched.Runtime {
	b.Helper()
	rt, err := usched.New(usched.Config{Procs: 1, CPUs: []int{0}, Quantum: q, Preempt: mode})
	if errors.Is(err, usched.ErrNotSupported) {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rt.Close() })
	return rt
}

// BenchmarkPreemptLatency measures, per watcher and quantum, how long
// after its quantum expired a G is off its P. Each op runs, on one P, a G
// A that records its start time, spawns a child B (queued behind it on the
// same P) and then loops until B has started: B can start only once A is
// off the P. The latency is B's start minus (A's start + quantum).
//
//   - poll: A calls G.Check in its loop, so it yields at its first poll
//     after the watcher flags it (after one to two quanta of its run, by
//     design: see package preempt).
//   - hog: A never polls; B runs only after escalation (two to three
//     quanta), on the spare M that takes over A's CPU. Measured from A's
//     start + 2 quanta, the escalation deadline.
//
// Metrics: p50, p99 and max in µs over the ops.
func BenchmarkPreemptLatency(b *testing.B) {
	for _, pm := range preemptModes {
		for _, q := range []time.Duration{50 * time.Microsecond, 100 * time.Microsecond, 500 * time.Microsecond} {
			for _, kind := range []string{"poll", "hog"} {
				name := fmt.Sprintf("%s/q=%v/%s", pm.name, q, kind)
				b.Run(name, func(b *testing.B) {
					rt := newWatched(b, pm.mode, q)
					deadline := q
					if kind == "hog" {
						deadline = 2 * q
					}
					lat := make([]time.Duration, 0, b.N)
					b.ResetTimer()
					for range b.N {
						var tA, tB atomic.Int64
						rt.Go(func(gp *usched.G) {
							tA.Store(nanotime())
							gp.Go(func(*usched.G) { tB.Store(nanotime()) })
							for tB.Load() == 0 {
								if kind == "poll" {
									gp.Check()
								}
							}
						})
						if err := rt.Wait(); err != nil {
							b.Fatal(err)
						}
						lat = append(lat, time.Duration(tB.Load()-tA.Load())-deadline)
					}
					b.StopTimer()
					reportQuantiles(b, lat)
				})
			}
		}
	}
}

// reportQuantiles reports p50, p99 and max of lat in µs and returns p99.
func reportQuantiles(b *testing.B, lat []time.Duration) float64 {
	slices.Sort(lat)
	at := func(q float64) float64 {
		return float64(lat[int(q*float64(len(lat)-1))]) / 1e3
	}
	b.ReportMetric(at(0.5), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
	b.ReportMetric(at(1), "max-µs")
	return at(0.99)
}

// BenchmarkWatcherCost measures what a watcher costs when nothing
// overruns: one op runs 1000 Gs of about 10 µs of work each on one P, with
// the watcher off, eBPF or sysmon, at a 100 µs quantum (the work is the
// same in each, so the ns/op difference is the M's lost time), and reports
// the process's CPU time per op (cpu-ns/op: includes the sysmon thread,
// which runs on the other CPU).
func BenchmarkWatcherCost(b *testing.B) {
	const gs = 1000
	work := calibrateSpin(10 * time.Microsecond)
	modes := append([]struct {
		name string
		mode usched.PreemptMode
	}{{"off", usched.PreemptOff}}, preemptModes...)
	for _, pm := range modes {
		b.Run(pm.name, func(b *testing.B) {
			rt := newWatched(b, pm.mode, 100*time.Microsecond)
			var sink atomic.Uint64
			cpu0 := cpuTime(b)
			b.ResetTimer()
			for range b.N {
				rt.Go(func(gp *usched.G) {
					for range gs {
						gp.Go(func(*usched.G) { sink.Add(spin(work)) })
					}
				})
				if err := rt.Wait(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
			st := rt.Stats()
			b.ReportMetric(float64(st.Preemption.TicksN)/float64(b.N), "ticks/op")
			b.ReportMetric(float64(st.Total().Preemptions)/float64(b.N), "preemptions/op")
		})
	}
}

// spin does n rounds of integer mixing and returns a value the compiler
// cannot discard.
func spin(n int) uint64 {
	x := uint64(n)
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

// spinSink keeps calibration results alive.
var spinSink atomic.Uint64

// calibrateSpin returns the spin rounds that take about d here.
func calibrateSpin(d time.Duration) int {
	const rounds = 1 << 20
	best := time.Duration(1<<63 - 1)
	var keep uint64
	for range 5 {
		t := time.Now()
		keep += spin(rounds) // used, or the compiler drops the inlined loop
		best = min(best, time.Since(t))
	}
	spinSink.Add(keep)
	return int(float64(rounds) * float64(d) / float64(best))
}

// nanotime is the monotonic clock in ns.
func nanotime() int64 { return int64(time.Since(clockBase)) }

var clockBase = time.Now()
