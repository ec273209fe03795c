package bench

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/alitto/pond/v2"
	"github.com/panjf2000/ants/v2"
	"github.com/usched/usched"
)

const (
	fibN    = 27
	fibWant = 196418 // fib(27), with fib(1) = fib(2) = 1
	// fibCutoff: calls with n > fibCutoff fork fib(n-1) as a task and
	// compute fib(n-2) themselves; smaller n are computed serially.
	fibCutoff = 2
	// fibPoolTimeout bounds one op of BenchmarkFibPools. fib(27) with
	// goroutines takes about 150 ms here.
	fibPoolTimeout = time.Second
)

// fibSerial is the plain recursive fib, with no forks.
func fibSerial(n int) int {
	if n <= 2 {
		return 1
	}
	return fibSerial(n-1) + fibSerial(n-2)
}

// fibForks counts the forks the parallel versions make for fib(n): one per
// call with n > fibCutoff. For fib(27) it is 196417 (= fib(27) - 1).
func fibForks(n int) int {
	if n <= fibCutoff {
		return 0
	}
	return 1 + fibForks(n-1) + fibForks(n-2)
}

func fibUsched(gp *usched.G, n int) int {
	if n <= fibCutoff {
		return fibSerial(n)
	}
	var grp usched.Group
	var x int
	grp.Go(gp, func(c *usched.G) { x = fibUsched(c, n-1) })
	y := fibUsched(gp, n-2)
	if err := grp.Wait(gp); err != nil {
		panic(err)
	}
	return x + y
}

// fibJoin is fibUsched with G.Join: fib(n-1) is forked (the half other Ps
// may take), fib(n-2) runs inline.
func fibJoin(gp *usched.G, n int) int {
	if n <= fibCutoff {
		return fibSerial(n)
	}
	var x, y int
	if err := gp.Join(
		func(c *usched.G) { y = fibJoin(c, n-2) },
		func(c *usched.G) { x = fibJoin(c, n-1) },
	); err != nil {
		panic(err)
	}
	return x + y
}

func fibGoroutines(n int) int {
	if n <= fibCutoff {
		return fibSerial(n)
	}
	var wg sync.WaitGroup
	var x int
	wg.Add(1)
	go func() {
		x = fibGoroutines(n - 1)
		wg.Done()
	}()
	y := fibGoroutines(n - 2)
	wg.Wait()
	return x + y
}

// fibPool is the same fork-join on a worker pool: submit fib(n-1), compute
// fib(n-2), wait. The waiting task keeps its worker.
func fibPool(submit func(func()) error, n int) int {
	if n <= fibCutoff {
		return fibSerial(n)
	}
	var wg sync.WaitGroup
	var x int
	wg.Add(1)
	if err := submit(func() {
		x = fibPool(submit, n-1)
		wg.Done()
	}); err != nil {
		// The pool was released after a deadlock: abandon this op
		// (its result is no longer read) instead of panicking in a
		// leaked goroutine.
		return 0
	}
	y := fibPool(submit, n-2)
	wg.Wait()
	return x + y
}

// BenchmarkFib: one op is fib(27) forking at every call with n > 2.
// ns/fork is ns/op divided by the number of forks (fibForks(27)).
func BenchmarkFib(b *testing.B) {
	forks := float64(fibForks(fibN))

	// "usched" forks with a Group, "usched-join" with G.Join; neither
	// allocates anything of its own. "-preempt-off": the same
	// without the watcher and spare Ms. "usched-join-nospares":
	// preemption on without spare Ms (GOMAXPROCS is Procs+1 in all three
	// unless a spare serves: the spares' Go Ps are added only then), so
	// it differs from "-preempt-off" in the watcher alone
	// (bench/RESULTS.md, where preemption's cost in fib comes from);
	// "-nospares-sysmon" has the pure-Go watcher instead of eBPF.
	// switches/op counts the machine's context switches.
	off := usched.Config{Preempt: usched.PreemptOff}
	for _, v := range []struct {
		name string
		cfg  usched.Config
		fib  func(*usched.G, int) int
	}{
		{"usched", usched.Config{}, fibUsched},
		{"usched-preempt-off", off, fibUsched},
		{"usched-join", usched.Config{}, fibJoin},
		{"usched-join-preempt-off", off, fibJoin},
		{"usched-nospares", usched.Config{MaxSpareMs: -1}, fibUsched},
		{"usched-join-nospares", usched.Config{MaxSpareMs: -1}, fibJoin},
		{"usched-sysmon", usched.Config{Preempt: usched.PreemptSysmon}, fibUsched},
		{"usched-join-nospares-sysmon", usched.Config{MaxSpareMs: -1, Preempt: usched.PreemptSysmon}, fibJoin},
	} {
		name, cfg, fib := v.name, v.cfg, v.fib
		b.Run(name, func(b *testing.B) {
			rt := newRuntime(b, cfg)
			b.ReportAllocs()
			b.ResetTimer()
			sw := machineSwitches()
			for range b.N {
				var res int
				rt.Go(func(gp *usched.G) { res = fib(gp, fibN) })
				if err := rt.Wait(); err != nil {
					b.Fatal(err)
				}
				checkFib(b, res)
			}
			b.StopTimer()
			reportSwitches(b, sw)
			reportPerFork(b, forks)
		})
	}

	b.Run("goroutines", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			checkFib(b, fibGoroutines(fibN))
		}
		b.StopTimer()
		reportPerFork(b, forks)
	})

	b.Run("serial", func(b *testing.B) {
		// The baseline: no forks at all, so no ns/fork.
		b.ReportAllocs()
		for range b.N {
			checkFib(b, fibSerial(fibN))
		}
	})
}

// checkFib fails the benchmark unless res is fib(fibN).
func checkFib(b *testing.B, res int) {
	if res != fibWant {
		b.Fatalf("fib(%d) = %d, want %d", fibN, res, fibWant)
	}
}

func reportPerFork(b *testing.B, forks float64) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/forks, "ns/fork")
}

// BenchmarkFibPools runs BenchmarkFib's fork-join on bounded worker pools
// (runtime.GOMAXPROCS(0) workers: bounding concurrency is what a pool is
// for). A task waiting for its child keeps its worker, so once every worker
// waits nothing can run: the pool deadlocks. Each op is bounded by
// fibPoolTimeout; an op that does not finish in time stops the benchmark,
// which then reports deadlocked=1 and ns/op = the time bound (a lower bound
// of a never-ending op). The blocked pool goroutines are leaked.
func BenchmarkFibPools(b *testing.B) {
	workers := runtime.GOMAXPROCS(0)

	b.Run("ants", func(b *testing.B) {
		pool, err := ants.NewPool(workers)
		if err != nil {
			b.Fatal(err)
		}
		runFibPool(b, "ants", pool.Submit, pool.Release)
	})

	b.Run("pond", func(b *testing.B) {
		pool := pond.NewPool(workers)
		runFibPool(b, "pond", pool.Go, func() { pool.Stop() }) // Stop, not StopAndWait: it would wait forever.
	})
}

func runFibPool(b *testing.B, name string, submit func(func()) error, release func()) {
	b.ResetTimer()
	for range b.N {
		done := make(chan int, 1)
		go func() { done <- fibPool(submit, fibN) }()
		select {
		case res := <-done:
			if res != fibWant {
				b.Fatalf("fib(%d) = %d, want %d", fibN, res, fibWant)
			}
		case <-time.After(fibPoolTimeout):
			b.StopTimer()
			release()
			b.Logf("%s: nested fork-join deadlocked (all pool workers blocked waiting on children); no result after %v", name, fibPoolTimeout)
			b.ReportMetric(1, "deadlocked")
			b.ReportMetric(float64(fibPoolTimeout.Nanoseconds()), "ns/op")
			return
		}
	}
	b.StopTimer()
	release()
	b.ReportMetric(0, "deadlocked")
}
