//go:build !linux

package usched

import "runtime"

// affinityCPUs returns 0..NumCPU-1: outside Linux there is no affinity
// mask to read (and Ms cannot be pinned; use PinNone).
func affinityCPUs() ([]int, error) {
	cpus := make([]int, runtime.NumCPU())
	for i := range cpus {
		cpus[i] = i
	}
	return cpus, nil
}
