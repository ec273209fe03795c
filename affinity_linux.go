//go:build linux

package usched

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// affinityCPUs returns the CPUs of the calling thread's affinity mask (the
// process's, unless the caller changed its own), in increasing order.
func affinityCPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, fmt.Errorf("usched: reading the CPU affinity mask: %w", err)
	}
	var cpus []int
	for c := 0; c < len(set)*64; c++ {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}
