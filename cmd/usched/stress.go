package main

// The stress command: runs scenarios of package stress, each a seeded
// workload with invariants checked at the end, and reports per scenario
// the scheduler's statistics (per-P table, steal matrix, scheduling
// latency), the invariants, and a final table of Gs/s and steal rates.
//
// The default scenario is mix, the workload this command has always run
// (a million Gs of spawn storms, fork-join trees and yields), so that
// "usched stress" stays the README's main run. "-scenario all" runs every
// scenario; see package stress for what each runs and checks.
//
// A seed draws the shape of every workload before its runtime starts, so
// that a failure is reproducible from the seed it prints; the interleaving
// is up to the scheduler and is not. With -duration the scenarios are
// repeated, pass after pass, with the seed plus the pass number, until
// that much time has passed; a failing pass is the last.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/usched/usched"
	"github.com/usched/usched/stress"
)

func init() {
	register(&command{
		name:    "stress",
		summary: "run stress scenarios (default: mix, 1,000,000 Gs; -scenario all for every one); check every G ran exactly once",
		run:     runStress,
		usage: func(w io.Writer) {
			var cfg stressConfig
			stressUsage(newStressFlags(&cfg, w))
		},
	})
}

// stressConfig holds the stress command's flags.
type stressConfig struct {
	scenario string
	gs       int
	procs    int
	policy   string
	seed     uint64
	duration time.Duration
	progress bool
	timeout  time.Duration
	// fault is injected into every workload, so that the checks fail: it
	// tests the checks (and the exit status) themselves.
	fault string
}

// policies maps the -policy names (Stats.Policy's) to the policies.
var policies = map[string]usched.Policy{"work-stealing": usched.WorkStealing, "priority": usched.Priority, "centralized": usched.Centralized}

// hiddenFlags are accepted but not listed by the command's help: they are
// for the command's tests.
var hiddenFlags = map[string]bool{"inject-fault": true}

func newStressFlags(cfg *stressConfig, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("stress", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.scenario, "scenario", "mix", "scenarios to run: a name, a comma-separated list, or all (uts: uts-t1,uts-t3)")
	fs.IntVar(&cfg.gs, "gs", stress.DefaultSize, "Gs per scenario, roots and children together (the UTS trees keep their published sizes)")
	fs.IntVar(&cfg.procs, "procs", 0, "number of Ps (0: one per CPU)")
	fs.StringVar(&cfg.policy, "policy", "work-stealing", "scheduling policy: work-stealing, priority or centralized")
	fs.Uint64Var(&cfg.seed, "seed", 0, "seed of the workloads' shapes (default: from the clock; always printed)")
	fs.DurationVar(&cfg.duration, "duration", 0, "repeat the scenarios, seed+1, seed+2..., until this much time has passed (0: run each once)")
	fs.BoolVar(&cfg.progress, "progress", true, "draw a progress bar on stderr when it is a terminal")
	fs.DurationVar(&cfg.timeout, "timeout", 5*time.Minute, "fail, with a goroutine dump on stderr, if a scenario has not finished by then (a lost wake-up hangs Wait)")
	fs.StringVar(&cfg.fault, "inject-fault", "none", "for tests: inject a fault into every workload (drop: one G does nothing; double: one G counts itself twice) so that the checks fail")
	fs.Usage = func() { stressUsage(fs) }
	return fs
}

func stressUsage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, `usage: usched stress [flags]

Runs each scenario on a new usched runtime, then checks its invariants:
every G ran exactly once, nothing was lost, the runtime's counters
balance, and Close left no goroutine or thread behind, plus the
scenario's own (a fib value, the published UTS node counts, each panic
reported once...). Prints per-P scheduler statistics for each scenario,
then a table of Gs/s and steal rates per scenario, and PASS (exit 0) or
the broken invariants and the command that reproduces them (exit 1). The
seed is printed first; run again with -seed to get the same workloads.

Scenarios:
`)
	for _, sc := range stress.Scenarios() {
		fmt.Fprintf(w, "  %-8s %s\n", sc.Name, sc.Summary)
	}
	fmt.Fprint(w, "\nFlags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		if hiddenFlags[f.Name] {
			return
		}
		name, usage := flag.UnquoteUsage(f)
		line := "  -" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(w, "%s\n    \t%s", line, usage)
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "0s" && f.DefValue != "false" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// parseScenarios returns the scenarios a -scenario value names, in the
// order given, without duplicates.
func parseScenarios(list string) ([]*stress.Scenario, error) {
	var out []*stress.Scenario
	add := func(sc *stress.Scenario) {
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		switch name {
		case "all":
			for _, sc := range stress.Scenarios() {
				add(sc)
			}
		case "uts":
			add(stress.Lookup("uts-t1"))
			add(stress.Lookup("uts-t3"))
		default:
			sc := stress.Lookup(name)
			if sc == nil {
				return nil, fmt.Errorf("unknown scenario %q; want all, uts, or a list of %s", name, strings.Join(stress.Names(), ", "))
			}
			add(sc)
		}
	}
	return out, nil
}

// runStress implements "usched stress".
func runStress(args []string, stdout, stderr io.Writer) int {
	var cfg stressConfig
	fs := newStressFlags(&cfg, stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage // flag has printed the error and the usage
	}
	usageErr := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "usched stress: "+format+"\n", args...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		usageErr("unexpected argument %q", fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	scenarios, err := parseScenarios(cfg.scenario)
	if err != nil {
		return usageErr("-scenario: %v", err)
	}
	fault, err := stress.ParseFault(cfg.fault)
	if err != nil {
		return usageErr("-inject-fault: %v", err)
	}
	switch {
	case cfg.gs < 1:
		return usageErr("-gs must be at least 1, got %d", cfg.gs)
	case cfg.gs > stress.MaxSize:
		return usageErr("-gs must be at most %d, got %d", stress.MaxSize, cfg.gs)
	case cfg.procs < 0:
		return usageErr("-procs must be 0 (one per CPU) or more, got %d", cfg.procs)
	case !slices.Contains(slices.Collect(maps.Keys(policies)), cfg.policy):
		return usageErr("-policy must be work-stealing, priority or centralized, got %q", cfg.policy)
	case cfg.timeout <= 0:
		return usageErr("-timeout must be positive, got %v", cfg.timeout)
	case cfg.duration < 0:
		return usageErr("-duration must be 0 (run once) or positive, got %v", cfg.duration)
	}
	seedSet := false
	fs.Visit(func(f *flag.Flag) { seedSet = seedSet || f.Name == "seed" })
	if !seedSet {
		cfg.seed = uint64(time.Now().UnixNano())
	}
	// First, before anything can fail, so that every failure is reproducible.
	fmt.Fprintf(stdout, "seed %d\n", cfg.seed)

	start := time.Now()
	var rows []*summaryRow
	byName := map[string]*summaryRow{}
	var failed []*stress.Result
	for pass := 0; ; pass++ {
		for _, sc := range scenarios {
			seed := cfg.seed + uint64(pass)
			if pass == 0 {
				printHeader(stdout, sc.Name, seed)
			}
			res := runScenario(sc, seed, fault, cfg, stdout, stderr)
			row := byName[sc.Name]
			if row == nil {
				row = &summaryRow{name: sc.Name}
				byName[sc.Name] = row
				rows = append(rows, row)
			}
			row.add(res)
			if pass == 0 {
				printReport(stdout, res)
			} else {
				printRunLine(stdout, pass, res)
			}
			if !res.Passed() {
				failed = append(failed, res)
			}
		}
		if cfg.duration == 0 || time.Since(start) >= cfg.duration || len(failed) > 0 {
			break
		}
	}
	printSummary(stdout, rows, time.Since(start))
	if len(failed) > 0 {
		for _, res := range failed {
			printFailures(stdout, cfg, res)
		}
		fmt.Fprintln(stdout, "FAIL")
		return exitFail
	}
	fmt.Fprintln(stdout, "PASS")
	return exitOK
}

// runScenario runs sc once under a watchdog, with a progress bar on a
// terminal.
func runScenario(sc *stress.Scenario, seed uint64, fault stress.Fault, cfg stressConfig, stdout, stderr io.Writer) *stress.Result {
	wd := startWatchdog(cfg, sc.Name, seed, fault, stdout, stderr)
	defer wd.stop()
	return sc.Run(stress.Options{
		Size:   cfg.gs,
		Seed:   seed,
		Config: usched.Config{Procs: cfg.procs, Policy: policies[cfg.policy]},
		Fault:  fault,
		Watch:  wd.watch,
	})
}

// reproCommand returns the command line that runs scenario's workload
// with seed again.
func reproCommand(cfg stressConfig, scenario string, seed uint64, fault stress.Fault) string {
	repro := fmt.Sprintf("usched stress -scenario %s -gs %d -procs %d -seed %d", scenario, cfg.gs, cfg.procs, seed)
	if cfg.policy != "work-stealing" {
		repro += " -policy " + cfg.policy
	}
	if fault != stress.FaultNone {
		repro += " -inject-fault " + fault.String()
	}
	return repro
}

// printFailures prints a FAIL line per broken invariant of res and the
// command line that runs the same workload again.
func printFailures(w io.Writer, cfg stressConfig, res *stress.Result) {
	for _, f := range res.Failures() {
		fmt.Fprintf(w, "FAIL: %s (seed %d): %s\n", res.Scenario, res.Seed, f)
	}
	fmt.Fprintf(w, "reproduce with: %s\n", reproCommand(cfg, res.Scenario, res.Seed, res.Fault))
}

// summaryRow adds up the runs of one scenario for the final table.
type summaryRow struct {
	name        string
	runs, fails int
	gs, stolen  uint64
	elapsed     time.Duration
}

func (r *summaryRow) add(res *stress.Result) {
	r.runs++
	if !res.Passed() {
		r.fails++
	}
	r.gs += res.Gs
	r.stolen += res.StolenGs()
	r.elapsed += res.Elapsed
}

// cpus is the number of CPUs, for the report.
var cpus = runtime.NumCPU()
