package latency

import _ "unsafe" // for go:linkname

// nanotime is the Go runtime's CLOCK_MONOTONIC reading in nanoseconds (the
// vDSO clock_gettime on Linux). time.Now's monotonic reading is relative to
// the process's start, so it cannot be compared between the generator's
// process and the executor's; this one can. The runtime keeps nanotime
// open to linkname for this kind of use (go.dev/issue/67401).
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

// Now returns CLOCK_MONOTONIC in nanoseconds, comparable across processes.
func Now() int64 { return nanotime() }
