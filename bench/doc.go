// Package bench compares usched with goroutines and with worker pools.
//
// It is its own module (github.com/usched/usched/bench) so that the
// library's module does not depend on the peers it is compared with:
// golang.org/x/sync/errgroup, github.com/panjf2000/ants/v2 and
// github.com/alitto/pond/v2. The library is taken from the parent
// directory through a replace directive.
//
// The package has no API; everything is in the _test.go files, one per
// benchmark family:
//
//   - BenchmarkTinyTasks (tiny_test.go): one op is one task that increments
//     a shared atomic counter, from submission to completion. Sub-benchmarks:
//     usched (one root G spawns b.N children with G.Go: the fork-join
//     case), usched-external (the benchmark goroutine calls Runtime.Go b.N
//     times), goroutines (go + sync.WaitGroup), errgroup, ants and pond
//     (each in the configuration fastest for it on this benchmark; see the
//     comments there). Every sub-benchmark submits b.N tasks, then waits for
//     all of them, then checks the counter.
//   - BenchmarkFib (fib_test.go): one op is fib(27), forking a task at every
//     call with n > 2, joining with a usched.Group, a sync.WaitGroup, or not
//     at all (serial). It also reports ns/fork: ns/op divided by the exact
//     number of forks in fib(27) with that cutoff (196417).
//   - BenchmarkFibPools (fib_test.go): the same nested fork-join on bounded
//     ants and pond pools. A pool worker that waits for its children holds
//     its worker slot, so once every worker waits, nothing runs: the pools
//     deadlock. The benchmark bounds each op by fibPoolTimeout and then
//     reports the metric deadlocked=1 (and ns/op = the time bound) instead
//     of hanging. It leaks the blocked pool goroutines.
//   - BenchmarkYield (yield_test.go): one op is one round trip between two
//     runnable tasks on one processor, that is each of the two tasks yields
//     once: G.Yield on a usched runtime with Procs 1, runtime.Gosched with
//     GOMAXPROCS 1.
//   - BenchmarkGMemory (memory_test.go): bytes per unstarted G, per suspended
//     G and per parked goroutine (blocked on a channel), as the metrics
//     B/unstarted-G, B/suspended-G and B/parked-goroutine. Each is measured
//     in a fresh child process (the test binary run again) so that free lists
//     left by earlier runs do not hide costs. It measures once per round
//     (-count), whatever b.N is; its ns/op is how long that took.
//   - BenchmarkIdleCPU (idle_test.go): process CPU time (getrusage user +
//     system) during one idle second after a burst of work on a runtime
//     (cpu-%), and during one second before any runtime existed
//     (cpu-%-baseline). It measures once per round; its ns/op is how long
//     that took.
//
// Run everything, as RESULTS.md records:
//
//	cd bench
//	go test -run '^$' -bench . -count 6 -benchtime=1s | tee /tmp/bench.txt
//	benchstat /tmp/bench.txt
//
// and a quick smoke run (every benchmark once, well under a minute):
//
//	go test -run '^$' -bench . -benchtime=1x ./...
//
// Runtimes are created once per benchmark function, outside the timed
// region, and closed when it ends. A usched runtime raises GOMAXPROCS while
// it is open (see the usched package documentation); the goroutine and pool
// benchmarks run with no runtime open, at the GOMAXPROCS the test started
// with.
package bench
