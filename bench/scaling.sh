#!/bin/sh
# scaling.sh runs the core goals (TinyTasks and Fib, usched beside its
# peers) on 2, 4, 8, ... CPUs of one machine, each setting in processes
# confined with taskset, so that usched's Procs and the peers' GOMAXPROCS
# both follow the affinity mask. It is how the scaling tables in RESULTS.md
# were measured on a 16-core machine; the 2-core VMs this project is built
# on cannot show scaling.
#
# Usage: bench/scaling.sh BENCH_TEST_BINARY OUTDIR [COUNT]
#   build the binary with: (cd bench && go test -c -o /tmp/bench.test .)
# Writes, per CPU count N:
#   OUTDIR/scaling-N.txt        the default GOGC, COUNT runs of each
#   OUTDIR/scaling-gcoff-N.txt  fib with GOGC=off, 40 ops per process
#                               (one process per run: the heap grows), 3 runs
# Compare with benchstat, one file at a time or old against new.
set -eu
bin=$1
out=$2
count=${3:-5}
ncpu=$(nproc)
# usched-procs1 runs every task on one P: beside usched it shows what
# spreading tiny tasks over the CPUs costs. serial is fib without tasks.
pattern='^Benchmark(TinyTasks|Fib)$/^(usched|usched-preempt-off|usched-procs1|goroutines|pond|serial)$'
fib='^BenchmarkFib$/^(usched|usched-preempt-off|goroutines)$'
n=2
while [ "$n" -le "$ncpu" ]; do
	echo "== $n CPUs" >&2
	cpus="0-$((n - 1))"
	taskset -c "$cpus" "$bin" -test.run '^$' -test.bench "$pattern" \
		-test.count "$count" -test.benchmem >"$out/scaling-$n.txt"
	: >"$out/scaling-gcoff-$n.txt"
	for _ in 1 2 3; do
		GOGC=off taskset -c "$cpus" "$bin" -test.run '^$' -test.bench "$fib" \
			-test.benchtime 40x -test.count 1 -test.benchmem >>"$out/scaling-gcoff-$n.txt"
	done
	n=$((n * 2))
done
