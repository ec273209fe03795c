package m

import (
	"runtime"
	"sync"
)

// The GOMAXPROCS rule: every running M holds one of Go's Ps, and Go's own
// goroutines (GC workers, timers, the user's goroutines, os/signal) need at
// least one more, or Go's scheduler time-slices the Ms every 10 ms. So
// while runtimes are open, GOMAXPROCS is at least (sum of their Procs) + 1;
// New raises it when needed and the last Close restores the value found.
var gomaxprocs struct {
	sync.Mutex
	open  int // runtimes open
	procs int // their Procs, summed
	saved int // GOMAXPROCS before the first open runtime raised it
}

func raiseGOMAXPROCS(procs int) {
	gomaxprocs.Lock()
	defer gomaxprocs.Unlock()
	if gomaxprocs.open == 0 {
		gomaxprocs.saved = runtime.GOMAXPROCS(0)
	}
	gomaxprocs.open++
	gomaxprocs.procs += procs
	if want := gomaxprocs.procs + 1; runtime.GOMAXPROCS(0) < want {
		runtime.GOMAXPROCS(want)
	}
}

func releaseGOMAXPROCS(procs int) {
	gomaxprocs.Lock()
	defer gomaxprocs.Unlock()
	gomaxprocs.open--
	gomaxprocs.procs -= procs
	if gomaxprocs.open == 0 && runtime.GOMAXPROCS(0) != gomaxprocs.saved {
		runtime.GOMAXPROCS(gomaxprocs.saved)
	}
}
