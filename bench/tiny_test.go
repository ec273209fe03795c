package bench

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alitto/pond/v2"
	"github.com/panjf2000/ants/v2"
	"github.com/usched/usched"
	"golang.org/x/sync/errgroup"
)

// BenchmarkTinyTasks measures the cost of one tiny task, from submission to
// completion: each op is a task that increments a shared atomic counter.
// Every sub-benchmark submits b.N tasks, then waits for all of them, then
// checks that the counter is b.N.
func BenchmarkTinyTasks(b *testing.B) {
	// Fork-join: one root G spawns every task with G.Go onto its own P;
	// the other Ps steal from it.
	// The default Config: preemption on (eBPF where permitted, else
	// sysmon) at DefaultQuantum. "usched-preempt-off" is the same with the
	// watcher off: the preemption issue's overhead goal compares the two.
	b.Run("usched", func(b *testing.B) { benchSpawnLoop(b, usched.Config{}) })
	b.Run("usched-preempt-off", func(b *testing.B) { benchSpawnLoop(b, usched.Config{Preempt: usched.PreemptOff}) })
	// Preemption on without spare Ms (GOMAXPROCS stays Procs+1), and with
	// the sysmon watcher: where the overhead of "usched" comes from.
	b.Run("usched-nospares", func(b *testing.B) { benchSpawnLoop(b, usched.Config{MaxSpareMs: -1}) })
	b.Run("usched-sysmon", func(b *testing.B) { benchSpawnLoop(b, usched.Config{Preempt: usched.PreemptSysmon}) })
	// The same loop on a single P: no G crosses a CPU. The gap to "usched"
	// is what moving tiny Gs (and the shared counter) between CPUs costs.
	b.Run("usched-procs1", func(b *testing.B) { benchSpawnLoop(b, usched.Config{Procs: 1}) })
	// The other policies on the same loop (all Gs Normal), preemption
	// off so that only the policy differs from "usched-preempt-off":
	// Priority adds a class lookup and per-class queues, Centralized puts
	// every spawn through the one global FIFO.
	b.Run("usched-priority", func(b *testing.B) {
		benchSpawnLoop(b, usched.Config{Policy: usched.Priority, Preempt: usched.PreemptOff})
	})
	b.Run("usched-centralized", func(b *testing.B) {
		benchSpawnLoop(b, usched.Config{Policy: usched.Centralized, Preempt: usched.PreemptOff})
	})

	b.Run("usched-external", func(b *testing.B) {
		// Submission from outside the runtime: Runtime.Go from the
		// benchmark goroutine (the global queue).
		rt := newRuntime(b, usched.Config{})
		var n atomic.Int64
		inc := func(*usched.G) { n.Add(1) }
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			rt.Go(inc)
		}
		if err := rt.Wait(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		checkCount(b, &n)
	})

	b.Run("goroutines", func(b *testing.B) {
		benchPool(b, func(task func()) error {
			go task()
			return nil
		})
	})

	b.Run("errgroup", func(b *testing.B) {
		// No SetLimit: a limit makes Go block the submitter and was
		// slower.
		var n atomic.Int64
		var eg errgroup.Group
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			eg.Go(func() error {
				n.Add(1)
				return nil
			})
		}
		if err := eg.Wait(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		checkCount(b, &n)
	})

	b.Run("ants", func(b *testing.B) {
		// The fastest ants configuration we found on this benchmark:
		// a MultiPool of GOMAXPROCS pools of GOMAXPROCS workers each,
		// round-robin. On the 2-CPU machine of RESULTS.md (ns/op, two
		// 1 s runs each): MultiPool 2x2 360, 2x1 345-365, 4x2 325-350,
		// 8x1 390-420; a single Pool of 2 workers 520-550, 8 workers
		// 465-485 (with WithPreAlloc), 32-2048 workers 490-650;
		// PoolWithFunc of 2 workers 510-545; the default, unbounded
		// pool 845-950.
		workers := runtime.GOMAXPROCS(0)
		pool, err := ants.NewMultiPool(workers, workers, ants.RoundRobin)
		if err != nil {
			b.Fatal(err)
		}
		defer pool.ReleaseTimeout(10 * time.Second)
		benchPool(b, func(task func()) error { return pool.Submit(task) })
	})

	b.Run("pond", func(b *testing.B) {
		// The fastest pond configuration we found on this benchmark:
		// GOMAXPROCS-1 workers (at least 1), since the submitting
		// goroutine keeps one CPU busy. On the 2-CPU machine of
		// RESULTS.md (ns/op, two 1 s runs each): 1 worker 99-105,
		// 2 workers 120-146, 3 workers 290-320, 4-512 workers 355-430,
		// unbounded (0) 815-870.
		pool := pond.NewPool(max(1, runtime.GOMAXPROCS(0)-1))
		defer pool.StopAndWait()
		benchPool(b, func(task func()) error { return pool.Go(task) })
	})
}

func checkCount(b *testing.B, n *atomic.Int64) {
	b.Helper()
	if got := n.Load(); got != int64(b.N) {
		b.Fatalf("counter = %d after %d tasks", got, b.N)
	}
}

// benchSpawnLoop is TinyTasks' fork-join case: one root G spawns b.N tasks
// with G.Go, each incrementing a shared counter.
func benchSpawnLoop(b *testing.B, cfg usched.Config) {
	rt := newRuntime(b, cfg)
	var n atomic.Int64
	inc := func(*usched.G) { n.Add(1) }
	b.ReportAllocs()
	b.ResetTimer()
	N := b.N
	rt.Go(func(gp *usched.G) {
		for range N {
			gp.Go(inc)
		}
	})
	if err := rt.Wait(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	checkCount(b, &n)
}

// benchPool is TinyTasks for a pool, or for plain go statements: b.N
// tasks submitted with submit, each incrementing a shared counter, joined
// with a WaitGroup.
func benchPool(b *testing.B, submit func(func()) error) {
	var n atomic.Int64
	var wg sync.WaitGroup
	task := func() {
		n.Add(1)
		wg.Done()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		wg.Add(1)
		if err := submit(task); err != nil {
			b.Fatal(err)
		}
	}
	wg.Wait()
	b.StopTimer()
	checkCount(b, &n)
}
