package latency

import (
	"fmt"
	"os"
	"slices"
	"strconv"

	"golang.org/x/sys/unix"
)

// cpuSet returns the affinity mask holding only cpu.
func cpuSet(cpu int) *unix.CPUSet {
	var set unix.CPUSet
	set.Set(cpu)
	return &set
}

// pinThread binds the calling OS thread to cpu. The caller must hold the
// thread with runtime.LockOSThread, or the pinning lands on whatever
// thread the goroutine happens to move to.
func pinThread(cpu int) error {
	if err := unix.SchedSetaffinity(0, cpuSet(cpu)); err != nil {
		return fmt.Errorf("latency: pinning a thread to CPU %d: %w", cpu, err)
	}
	return nil
}

// threadIDs lists the OS threads of this process.
func threadIDs() ([]int, error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, err
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}

// pinProcess binds every thread of this process to cpu. A thread the Go
// runtime creates later inherits the mask of the thread that creates it,
// so once every existing thread is bound, the whole process stays there.
// It repeats until a pass finds no new thread, since the runtime may start
// one while the first pass runs.
func pinProcess(cpu int) error {
	done := map[int]bool{}
	for pass := 0; pass < 10; pass++ {
		tids, err := threadIDs()
		if err != nil {
			return err
		}
		fresh := false
		for _, tid := range tids {
			if done[tid] {
				continue
			}
			fresh = true
			// A thread that exits between the listing and here is fine.
			if err := unix.SchedSetaffinity(tid, cpuSet(cpu)); err != nil && err != unix.ESRCH {
				return fmt.Errorf("latency: pinning thread %d to CPU %d: %w", tid, cpu, err)
			}
			done[tid] = true
		}
		if !fresh {
			return nil
		}
	}
	return fmt.Errorf("latency: threads kept appearing while pinning the process to CPU %d", cpu)
}

// checkProcessOn returns an error naming the first thread of this process
// whose affinity mask is not exactly {cpu}.
func checkProcessOn(cpu int) error {
	tids, err := threadIDs()
	if err != nil {
		return err
	}
	for _, tid := range tids {
		var set unix.CPUSet
		if err := unix.SchedGetaffinity(tid, &set); err != nil {
			if err == unix.ESRCH {
				continue
			}
			return err
		}
		if set.Count() != 1 || !set.IsSet(cpu) {
			return fmt.Errorf("latency: thread %d may run on CPUs %v, want only CPU %d", tid, cpusOf(&set), cpu)
		}
	}
	return nil
}

// AllowedCPUs returns the CPUs of the calling thread's affinity mask.
func AllowedCPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, err
	}
	return cpusOf(&set), nil
}

func cpusOf(set *unix.CPUSet) []int {
	var cpus []int
	for c := range 1024 {
		if set.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	slices.Sort(cpus)
	return cpus
}
