package asm_test

import (
	"maps"
	"math"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/usched/usched/asm"
)

func TestReport(t *testing.T) {
	t.Logf("GOARCH=%s GOOS=%s RDPID=%v RDTSCP=%v CPU uses %s; methods %v; CyclesPerNanosecond=%.4f",
		runtime.GOARCH, runtime.GOOS, asm.HasRDPID(), asm.HasRDTSCP(), asm.CPUMode(),
		slices.Sorted(maps.Keys(asm.CPUMethods())), asm.CyclesPerNanosecond())
}

func TestCyclesMonotonic(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 10_000
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	first := asm.Cycles()
	prev := first
	for i := range n {
		c := asm.Cycles()
		if c < prev {
			t.Fatalf("Cycles went backwards at call %d: %d after %d", i, c, prev)
		}
		prev = c
	}
	// The counter must also move: spin until the clock says 1 ms passed.
	for start := time.Now(); time.Since(start) < time.Millisecond; {
	}
	if last := asm.Cycles(); last <= first {
		t.Fatalf("Cycles did not advance over %d calls and 1 ms: first %d, last %d", n, first, last)
	}
}

func TestCyclesPerNanosecond(t *testing.T) {
	cpn := asm.CyclesPerNanosecond()
	if !(cpn > 0) || math.IsInf(cpn, 0) {
		t.Fatalf("CyclesPerNanosecond() = %v, want a positive finite rate", cpn)
	}
	if again := asm.CyclesPerNanosecond(); again != cpn {
		t.Fatalf("CyclesPerNanosecond changed from %v to %v; it must be calibrated once", cpn, again)
	}
	if testing.Short() {
		return
	}
	// An independent, longer measurement should agree within 10%: the
	// calibration is approximate, not wrong.
	long := asm.Calibrate(20 * time.Millisecond)
	if rel := math.Abs(long-cpn) / long; rel > 0.10 {
		t.Errorf("CyclesPerNanosecond() = %.4f, but a 20 ms measurement gives %.4f (%.1f%% apart)", cpn, long, 100*rel)
	}
}

func TestCyclesPerNanosecondConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	results := make([]float64, 8)
	for i := range results {
		wg.Go(func() { results[i] = asm.CyclesPerNanosecond() })
	}
	wg.Wait()
	for i, r := range results {
		if r != results[0] {
			t.Fatalf("goroutine %d saw %v, goroutine 0 saw %v", i, r, results[0])
		}
	}
}

func TestPause(t *testing.T) {
	for range 1000 {
		asm.Pause()
	}
}

func TestCPU(t *testing.T) {
	cpu := asm.CPU()
	if runtime.GOOS != "linux" {
		if cpu != -1 {
			t.Fatalf("CPU() = %d on %s, want -1", cpu, runtime.GOOS)
		}
		return
	}
	if cpu < 0 {
		t.Fatalf("CPU() = %d, want a CPU number", cpu)
	}
	// See TestCPUInAffinityMask for the stronger check.
}

func TestNoAllocs(t *testing.T) {
	asm.CyclesPerNanosecond() // the first call may do more
	allocs := testing.AllocsPerRun(1000, func() {
		asm.Pause()
		asm.StoreRelease(&sinkI64, 1)
		sinkU64 = asm.Cycles()
		sinkInt = asm.CPU()
		sinkInt += asm.Getcpu()
		for _, read := range cpuMethods {
			sinkInt += read()
		}
		sinkF64 = asm.CyclesPerNanosecond()
	})
	if allocs != 0 {
		t.Fatalf("asm functions allocated %v times per run, want 0", allocs)
	}
}

var cpuMethods = asm.CPUMethods()

var (
	sinkI64 int64
	sinkU64 uint64
	sinkInt int
	sinkF64 float64
)

func BenchmarkCycles(b *testing.B) {
	var s uint64
	for b.Loop() {
		s += asm.Cycles()
	}
	sinkU64 = s
}

func BenchmarkCPU(b *testing.B) {
	b.Logf("CPU uses %s", asm.CPUMode())
	var s int
	for b.Loop() {
		s += asm.CPU()
	}
	sinkInt = s
}

// BenchmarkCPUMethod measures each way of reading the current CPU that this
// machine offers, including those CPU does not use.
func BenchmarkCPUMethod(b *testing.B) {
	for _, name := range slices.Sorted(maps.Keys(cpuMethods)) {
		read := cpuMethods[name]
		b.Run(name, func(b *testing.B) {
			var s int
			for b.Loop() {
				s += read()
			}
			sinkInt = s
		})
	}
}

func BenchmarkPause(b *testing.B) {
	for b.Loop() {
		asm.Pause()
	}
}
