// Command latency runs the tail-latency experiment of usched's preemption
// (issue 3): an open-loop Poisson load of 99.5% short and 0.5% long
// requests, served by usched with and without preemption, by plain
// goroutines and by a FIFO pool, all on one CPU, with the generator on
// another. It prints one line per point and the goal ratios, and writes
// results.md (ready for bench/RESULTS.md), results.json and one PNG per
// workload and variant into -out. See package latency for the method.
//
// The binary is also its own child process: the driver runs it again, with
// latency.ChildEnv set, for every calibration and measurement point.
//
// Usage (from the bench directory):
//
//	go run ./cmd/latency -out /tmp/latency       # full sweep, about 10 minutes
//	go run ./cmd/latency -quick -out /tmp/latency # about 30 s
//
// or, from the repository root, go run ./cmd/usched bench latency [flags].
//
// Exit status: 0 when the sweep ran (whether or not the goals were met), 1
// when it failed, 2 for a usage error.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/usched/usched/bench/latency"
)

func main() {
	latency.RunChildIfRequested()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("latency", flag.ContinueOnError)
	fs.SetOutput(stderr)
	workload := fs.String("workload", "all", "a (spin loops), b (pebble) or all")
	variant := fs.String("variant", "all", "coop, uncoop or all")
	executors := fs.String("executors", strings.Join(latency.Executors, ","), "comma-separated executors")
	loads := fs.String("loads", "", "comma-separated offered loads in percent of capacity (default 10,20,...,100,120; with -quick 30,70,100)")
	duration := fs.Duration("duration", 0, "least schedule length per point (default 1s; with -quick 250ms)")
	minShort := fs.Int("min-short", 0, "least number of short requests per point (default 25000; with -quick 3000)")
	quick := fs.Bool("quick", false, "a sweep of about 30 s: three loads, short points, a smaller database")
	out := fs.String("out", "", "directory for results.md, results.json and the PNGs (default: none written)")
	execCPU := fs.Int("exec-cpu", 0, "the CPU every executor runs on")
	genCPU := fs.Int("gen-cpu", 1, "the CPU of the load generator")
	seed := fs.Uint64("seed", 1, "seed of the arrival schedules")
	quantum := fs.Duration("quantum", latency.Quantum, "usched's Config.Quantum for the executor with preemption")
	replot := fs.String("replot", "", "measure nothing: read this results.json and write results.md and the PNGs into -out again")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "latency: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *replot != "" {
		if *out == "" {
			fmt.Fprintln(stderr, "latency: -replot needs -out")
			return 2
		}
		res, err := latency.ReadResults(*replot)
		if err == nil {
			var files []string
			files, err = res.WriteFiles(*out, "go run ./cmd/latency "+strings.Join(args, " "))
			fmt.Fprintf(stdout, "wrote %s\n", strings.Join(files, ", "))
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		res.WriteGoals(stdout)
		return 0
	}
	cfg := latency.DefaultConfig()
	if *quick {
		cfg = latency.QuickConfig()
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "latency: "+format+"\n", a...)
		return 2
	}
	switch *workload {
	case "all":
	case "a", "b":
		cfg.Workloads = []string{*workload}
	default:
		return usage("-workload must be a, b or all, got %q", *workload)
	}
	switch *variant {
	case "all":
	case "coop", "uncoop":
		cfg.Variants = []latency.Variant{latency.Variant(*variant)}
	default:
		return usage("-variant must be coop, uncoop or all, got %q", *variant)
	}
	cfg.Executors = nil
	for _, e := range strings.Split(*executors, ",") {
		e = strings.TrimSpace(e)
		if !slices.Contains(latency.Executors, e) {
			return usage("unknown executor %q in -executors (want some of %s)", e, strings.Join(latency.Executors, ","))
		}
		cfg.Executors = append(cfg.Executors, e)
	}
	if *loads != "" {
		cfg.Loads = nil
		for _, s := range strings.Split(*loads, ",") {
			pct, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || pct <= 0 || pct > 1000 {
				return usage("-loads: %q is not a percentage in (0, 1000]", s)
			}
			cfg.Loads = append(cfg.Loads, pct/100)
		}
	}
	if *duration < 0 || *minShort < 0 {
		return usage("-duration and -min-short must not be negative")
	}
	if *duration > 0 {
		cfg.Duration = *duration
	}
	if *minShort > 0 {
		cfg.MinShort = *minShort
	}
	if *quantum <= 0 {
		return usage("-quantum must be positive, got %v (use -executors to leave preemption out)", *quantum)
	}
	cfg.ExecCPU, cfg.GenCPU, cfg.Seed, cfg.Quantum = *execCPU, *genCPU, *seed, *quantum
	if cfg.ExecCPU == cfg.GenCPU {
		return usage("-exec-cpu and -gen-cpu are both %d: the generator must not share the executors' CPU", cfg.ExecCPU)
	}
	cfg.Log = stdout

	start := time.Now()
	res, err := latency.Sweep(cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "\nsweep took %v\n\n", time.Since(start).Round(time.Second))
	res.WriteGoals(stdout)
	if *out != "" {
		cmdline := "go run ./cmd/latency " + strings.Join(args, " ")
		files, err := res.WriteFiles(*out, strings.TrimSpace(cmdline))
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "\nwrote %s\n", strings.Join(files, ", "))
	}
	return 0
}
