package stress

// Hogs: long Gs that never poll, with short Gs queued behind each of them
// on every P (see long.go). With preemption the watcher flags each hog
// after a quantum and escalates it a quantum later, and a spare M takes
// over its P's queue; with Config{Preempt: usched.PreemptOff} the short
// Gs wait until the hogs end. Either way every G must run exactly once
// and every hog must finish; how long that took is reported, not
// asserted, and so are the preemption counters.

var hogsScenario = &Scenario{
	Name:    "hogs",
	Summary: "Gs that spin 20-50 ms without polling, short Gs queued behind them on every P; all must finish",
	prepare: func(e *env) workload { return prepareLong(e, false) },
}
