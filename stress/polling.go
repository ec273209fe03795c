package stress

// Polling: long Gs that call G.Check every few microseconds, with short
// Gs queued behind each of them on every P (see long.go). A Check that
// finds the G over its quantum yields it behind the short Gs, so those
// run well before the long Gs end. Besides the common checks, a G's ID
// must be the same after every Check (a yield that recycled its
// descriptor would change it); Stats' Preemptions, the polls that yielded,
// is reported.

var pollingScenario = &Scenario{
	Name:    "polling",
	Summary: "Gs that run 20-50 ms calling G.Check in their loop, short Gs queued behind them; reports Preemptions",
	prepare: func(e *env) workload { return prepareLong(e, true) },
}
