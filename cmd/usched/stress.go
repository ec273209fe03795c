package main

// The stress command: a seeded mix of the three shapes of work a user-level
// scheduler must get right, run to completion, then checked.
//
//   - Spawn storm: root Gs that each spawn hundreds to thousands of
//     children with G.Go. The children pile up in one P's deque, so the
//     other Ps must steal them.
//   - Fork-join trees: random trees (fan-out and depth drawn from the
//     seed) in which every node spawns its children in a usched.Group and
//     joins them with Group.Wait. This exercises the work-first join (Wait
//     runs children inline), suspension when a child was stolen, and
//     wake-ups across Ms.
//   - Yields: Gs that call G.Yield a few times, so that suspended Gs and
//     unstarted Gs interleave on every M's resume queue.
//
// The roots of the three kinds are shuffled together and started in
// rounds, each ended by Runtime.Wait. Even rounds are submitted with
// Runtime.Go from two goroutines (the global queue); in odd rounds one
// submitted root spawns all the others with G.Go, so the round starts in a
// single P's deque and the other Ps must steal it.
//
// Every G has a number assigned when the plan is drawn (not G.ID, which is
// recycled) and adds one to its own slot of a []atomic.Uint32 when it runs.
// The checks are conservation laws:
//
//   - after each round's Wait, every G of that round has run, and Wait
//     returned nil;
//   - after Group.Wait, every child has run and the subtree sizes the
//     children wrote (plain stores, ordered only by Wait) add up;
//   - a G's ID is the same before and after Yield;
//   - at the end, every slot is exactly 1, and the runtime's own counters
//     balance: FinishedGs == SubmittedGs + SpawnedGs == -gs, RanGs ==
//     FinishedGs, the steal matrix's columns sum to each P's StolenGs, and
//     so on;
//   - the run ends within -timeout (a lost wake-up would hang Wait).
//
// The shape of the work is drawn from -seed before the runtime starts, so a
// seed reproduces the same Gs, trees and yields; the interleaving is up to
// the scheduler and is not reproducible.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

func init() {
	register(&command{
		name:    "stress",
		summary: "run a seeded mix of spawn storms, fork-join trees and yields; check every G ran exactly once",
		run:     runStress,
		usage: func(w io.Writer) {
			var cfg stressConfig
			stressUsage(newStressFlags(&cfg, w))
		},
	})
}

// stressConfig holds the stress command's flags.
type stressConfig struct {
	gs       int
	procs    int
	seed     uint64
	progress bool
	timeout  time.Duration
	// breakInvariant makes one G count itself twice, so that the checks
	// fail: it tests the checks (and the exit status) themselves.
	breakInvariant bool
}

// hiddenFlags are accepted but not listed by the command's help.
var hiddenFlags = map[string]bool{"break-invariant": true}

func newStressFlags(cfg *stressConfig, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("stress", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.gs, "gs", 1_000_000, "total number of Gs to run, roots and children together (at least 1)")
	fs.IntVar(&cfg.procs, "procs", 0, "number of Ps (0: one per CPU)")
	fs.Uint64Var(&cfg.seed, "seed", 0, "seed of the workload's shape (default: from the clock; always printed)")
	fs.BoolVar(&cfg.progress, "progress", true, "draw a progress bar on stderr when it is a terminal")
	fs.DurationVar(&cfg.timeout, "timeout", 5*time.Minute, "fail, with a goroutine dump on stderr, if the run has not finished by then (a lost wake-up hangs Wait)")
	fs.BoolVar(&cfg.breakInvariant, "break-invariant", false, "make one G count itself twice (tests the checks)")
	fs.Usage = func() { stressUsage(fs) }
	return fs
}

func stressUsage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, `usage: usched stress [flags]

Runs -gs Gs on a usched runtime: 40% in spawn storms (roots spawning many
children with G.Go), 40% in random fork-join trees (usched.Group), 20% in
Gs that yield. Then checks that every G ran exactly once and that the
runtime's counters balance, prints per-P scheduler statistics, and prints
PASS (exit 0) or FAIL: <invariant> (exit 1). The seed is printed first; run
again with -seed to get the same workload.

Flags:
`)
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
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
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
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "usched stress: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	if cfg.gs < 1 {
		fmt.Fprintf(stderr, "usched stress: -gs must be at least 1, got %d\n", cfg.gs)
		return exitUsage
	}
	if cfg.gs > maxStressGs {
		fmt.Fprintf(stderr, "usched stress: -gs must be at most %d, got %d\n", maxStressGs, cfg.gs)
		return exitUsage
	}
	if cfg.procs < 0 {
		fmt.Fprintf(stderr, "usched stress: -procs must be 0 (one per CPU) or more, got %d\n", cfg.procs)
		return exitUsage
	}
	if cfg.timeout <= 0 {
		fmt.Fprintf(stderr, "usched stress: -timeout must be positive, got %v\n", cfg.timeout)
		return exitUsage
	}
	seedSet := false
	fs.Visit(func(f *flag.Flag) { seedSet = seedSet || f.Name == "seed" })
	if !seedSet {
		cfg.seed = uint64(time.Now().UnixNano())
	}
	// First, before anything can fail, so that every failure is reproducible.
	fmt.Fprintf(stdout, "seed %d\n", cfg.seed)

	pl := newPlan(cfg.gs, cfg.seed, cfg.breakInvariant)
	fmt.Fprintf(stdout, "workload %s\n", pl.describe())

	res, err := runPlan(pl, cfg, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "usched stress: %v\n", err)
		return exitFail
	}
	printReport(stdout, res)
	if len(res.failures) > 0 {
		printFailures(stdout, cfg, res.failures)
		return exitFail
	}
	fmt.Fprintln(stdout, "PASS")
	return exitOK
}

// printFailures prints a FAIL line per broken invariant and the command
// line that runs the same workload again.
func printFailures(w io.Writer, cfg stressConfig, failures []string) {
	for _, f := range failures {
		fmt.Fprintf(w, "FAIL: %s\n", f)
	}
	repro := fmt.Sprintf("usched stress -gs %d -procs %d -seed %d", cfg.gs, cfg.procs, cfg.seed)
	if cfg.breakInvariant {
		repro += " -break-invariant"
	}
	fmt.Fprintf(w, "reproduce with: %s\n", repro)
}

// maxStressGs bounds -gs: G numbers are int32 in the plan.
const maxStressGs = 1 << 30

// Shares of the G budget, in percent. Yields take the rest.
const (
	stormShare = 40
	treeShare  = 40
)

// Shape parameters. Drawn uniformly from these ranges by the seed.
const (
	stormMinChildren = 500  // children per spawn-storm root: at least ...
	stormMaxChildren = 2000 // ... and at most
	treeMaxDepth     = 12   // levels below a tree's root
	treeMaxFanout    = 8    // a tree's fan-out limit is drawn from [1, treeMaxFanout]
	treeMaxNodes     = 4096 // nodes per tree
	yieldMaxChildren = 63   // children per yield root
	yieldMaxCalls    = 4    // Yield calls per yielding child, drawn from [1, yieldMaxCalls]
	stressRounds     = 16   // rounds of submission, each ended by Runtime.Wait
)

// G numbers (slots) are laid out as [storm | trees | yields].
