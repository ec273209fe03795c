//go:build race

package p

import "sync/atomic"

// publish stores v into a published counter. Under the race detector it
// is x.Store, which the detector sees; see counters_norace.go.
func publish(x *atomic.Uint64, v uint64) { x.Store(v) }
