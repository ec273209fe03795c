package latency

import "slices"

// Checker is the preemption poll a cooperative long request calls every
// few microseconds of work. *usched.G satisfies it (G.Check yields when
// the quantum has expired); the goroutine and pool executors pass noCheck,
// because Go preempts goroutines by itself and runtime.Gosched would turn
// the cooperative variant into a different experiment.
type Checker interface{ Check() }

type noCheck struct{}

func (noCheck) Check() {}

// Workload serves one request. Serve must be safe for concurrent calls
// (the goroutine executor runs several at once, interleaved by Go).
type Workload interface {
	Serve(id uint64, kind uint32, chk Checker)
}

// Variant says whether long requests poll.
type Variant string

const (
	// Coop: long requests call Checker.Check every checkEvery of work.
	Coop Variant = "coop"
	// Uncoop: long requests never poll; only escalation (or Go's own
	// signal-based preemption, for goroutines) can interrupt them.
	Uncoop Variant = "uncoop"
)

// pollInterval is how much work a cooperative long request does between
// two polls: inside the 1-5 µs the experiment asks for, far below the
// 50 µs quantum, and long enough that the poll's cost (a load and a
// branch) vanishes.
const pollIntervalNs = 2000

// medianNs times fn reps times with the monotonic clock and returns the
// median duration in ns: robust to the odd interrupt or tick that lands
// in one repetition, which the experiment measures separately anyway.
func medianNs(reps int, fn func(i int)) float64 {
	d := make([]int64, reps)
	for i := range d {
		t0 := nanotime()
		fn(i)
		d[i] = nanotime() - t0
	}
	slices.Sort(d)
	return float64(d[reps/2])
}
