package m

import (
	"runtime"
	"sync"
)

// The GOMAXPROCS rule: every running M holds one of Go's Ps, and Go's own
// goroutines (GC workers, timers, the user's goroutines, os/signal) need at
// least one more, or Go's scheduler time-slices the Ms every 10 ms. So
// while runtimes are open, GOMAXPROCS is at least (the Ps they hold,
// summed) + 1. New adds its Procs to the sum, and the spares' share while
// they serve (spareprocs.go); GOMAXPROCS is raised when the sum needs it,
// lowered when a share is taken out (never below the value found before
// the first New, and only if it is still the value usched set: a value the
// program set meanwhile is left alone). The last Close is no special
// case: with no Ps in the sum, lowering goes back to the value found.
var gomaxprocs struct {
	sync.Mutex
	procs int // the Ps open runtimes hold, summed: 0 when none is open (each holds at least one)
	saved int // GOMAXPROCS before the first open runtime raised it
	set   int // the value usched set last; 0: none since the first New
}

// raiseGOMAXPROCS opens a runtime holding procs Ps.
func raiseGOMAXPROCS(procs int) {
	gomaxprocs.Lock()
	defer gomaxprocs.Unlock()
	if gomaxprocs.procs == 0 { // the first open runtime
		gomaxprocs.saved = runtime.GOMAXPROCS(0)
		gomaxprocs.set = 0
	}
	addProcsLocked(procs)
}

// addGOMAXPROCS adds n Ps (n < 0: takes -n out) to the sum of an open
// runtime. Each change of GOMAXPROCS stops the world (and first waits for
// a collection in progress to finish marking), so callers keep changes
// rare.
func addGOMAXPROCS(n int) {
	gomaxprocs.Lock()
	defer gomaxprocs.Unlock()
	addProcsLocked(n)
}

func addProcsLocked(n int) {
	gomaxprocs.procs += n
	want := gomaxprocs.procs + 1
	cur := runtime.GOMAXPROCS(0)
	switch {
	case cur < want:
		runtime.GOMAXPROCS(want)
		gomaxprocs.set = want
	case n < 0 && cur == gomaxprocs.set:
		if low := max(want, gomaxprocs.saved); low < cur {
			runtime.GOMAXPROCS(low)
			gomaxprocs.set = low
		}
	}
}

// releaseGOMAXPROCS closes a runtime holding procs Ps: its share comes out
// of the sum as a spare share does. For the last Close that is the same
// rule: with no Ps left the sum asks for 1, so GOMAXPROCS goes back to the
// value found, and only if it is still the value usched set last (a value
// the program set while runtimes were open is its choice and stays).
func releaseGOMAXPROCS(procs int) {
	gomaxprocs.Lock()
	defer gomaxprocs.Unlock()
	addProcsLocked(-procs)
}
