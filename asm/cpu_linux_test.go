package asm_test

import (
	"runtime"
	"slices"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/usched/usched/asm"
)

// processCPUs returns the CPUs the calling thread may run on.
func processCPUs(t *testing.T) []int {
	t.Helper()
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatalf("sched_getaffinity: %v", err)
	}
	var cpus []int
	for cpu := range int(unsafe.Sizeof(set)) * 8 {
		if set.IsSet(cpu) {
			cpus = append(cpus, cpu)
		}
	}
	return cpus
}

// TestCPUInAffinityMask checks that CPU returns a CPU this thread may run
// on. (runtime.NumCPU is not an upper bound: it counts the CPUs in the
// mask, and under taskset -c 4-7 it is 4 while CPU returns 4 to 7.)
func TestCPUInAffinityMask(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpus := processCPUs(t)
	for range 1000 {
		if cpu := asm.CPU(); !slices.Contains(cpus, cpu) {
			t.Fatalf("CPU() = %d, not in this thread's affinity mask %v", cpu, cpus)
		}
	}
	if max := slices.Max(cpus); max >= runtime.NumCPU() {
		t.Logf("affinity mask %v reaches past runtime.NumCPU() = %d", cpus, runtime.NumCPU())
	}
}

// TestCPUPinned pins the thread to each CPU of its affinity mask in turn
// and checks that CPU, and every other method this machine offers, names
// that CPU, as getcpu(2) does.
func TestCPUPinned(t *testing.T) {
	methods := asm.CPUMethods()
	methods["CPU"] = asm.CPU

	done := make(chan struct{})
	go func() {
		defer close(done)
		// If the mask cannot be restored, the goroutine exits still
		// locked, and the runtime then discards the thread rather than
		// let another goroutine inherit its mask.
		runtime.LockOSThread()

		var orig unix.CPUSet
		if err := unix.SchedGetaffinity(0, &orig); err != nil {
			t.Errorf("sched_getaffinity: %v", err)
			return
		}
		cpus := processCPUs(t)
		for _, cpu := range cpus {
			var one unix.CPUSet
			one.Set(cpu)
			if err := unix.SchedSetaffinity(0, &one); err != nil {
				t.Errorf("pin to CPU %d: %v", cpu, err)
				continue
			}
			// sched_setaffinity migrates the calling thread before it
			// returns, so every answer from here on is exact.
			if got := asm.Getcpu(); got != cpu {
				t.Errorf("pinned to CPU %d, but getcpu(2) says %d", cpu, got)
			}
			for name, read := range methods {
				if got := read(); got != cpu {
					t.Errorf("pinned to CPU %d, but %s says %d", cpu, name, got)
				}
			}
		}
		if err := unix.SchedSetaffinity(0, &orig); err != nil {
			t.Errorf("restore affinity mask: %v", err)
			return
		}
		runtime.UnlockOSThread()
	}()
	<-done
}
