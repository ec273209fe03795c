package latency

// summarize turns one point's raw arrays into a Point. A request's latency
// is done - intended: completion time minus intended arrival time, both
// CLOCK_MONOTONIC. Dropped and unfinished requests count as Inf.
func summarize(ps pointSpec, intended, late []int64, dropped []bool, done []int64) *Point {
	n := len(intended)
	pt := &Point{
		Workload: ps.Workload, Variant: ps.Variant, Executor: ps.Executor,
		Load: ps.Load, Rate: ps.Rate, Requests: n,
	}
	if d := ps.Sched.Duration(); d > 0 {
		pt.Offered = float64(n) / (float64(d) / 1e9)
	}
	short := make([]int64, 0, n)
	long := make([]int64, 0, n/100+1)
	all := make([]int64, 0, n)
	lateSent := make([]int64, 0, n)
	var first, last int64
	completed := 0
	for i := range n {
		lat := Inf
		switch {
		case dropped[i]:
			pt.Dropped++
		case done[i] == 0:
			pt.Unfinished++
			lateSent = append(lateSent, late[i])
		default:
			lat = max(done[i]-intended[i], 0) // cannot be negative: the child saw it after the push
			lateSent = append(lateSent, late[i])
			completed++
			last = max(last, done[i])
		}
		if i == 0 {
			first = intended[i]
		}
		all = append(all, lat)
		if ps.Sched.Kinds[i] == KindLong {
			pt.Long++
			long = append(long, lat)
		} else {
			short = append(short, lat)
		}
	}
	// Throughput from the first intended arrival to the last completion:
	// at overload the drain stretches the window and the rate falls to what
	// the executor sustains.
	if completed > 0 && last > first {
		pt.Achieved = float64(completed) / (float64(last-first) / 1e9)
	}
	pt.Short = Summarize(short)
	pt.LongP = Summarize(long)
	pt.All = Summarize(all)
	lp := Summarize(lateSent)
	pt.GenLateP99, pt.GenLateMax = lp.P99, lp.Max
	return pt
}
