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
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usched/usched"
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

// stormRoot is a root G that spawns children; its own slot is slot, its
// children's are slot+1 .. slot+children.
type stormRoot struct{ slot, children int32 }

// treeNode is a node of a fork-join tree. Nodes are stored in BFS order,
// so a node's children are nodes first .. first+n-1 and come after it.
type treeNode struct {
	first, n int32
	size     int32 // nodes in the subtree rooted here, itself included
}

// yieldRoot is a root G that spawns children that yield; it yields once
// itself, halfway through spawning.
type yieldRoot struct{ slot, children int32 }

type rootKind uint8

const (
	rootStorm rootKind = iota
	rootTree
	rootYield
)

// rootRef names a root G to submit: its kind and its index in the plan's
// list of that kind.
type rootRef struct {
	kind rootKind
	i    int32
}

// plan is the workload, drawn from the seed before the runtime starts.
type plan struct {
	gs   int
	seed uint64

	stormGs    int
	stormRoots []stormRoot

	treeBase  int        // slot of nodes[0]
	nodes     []treeNode // all trees, BFS order each
	treeRoots []int32    // index in nodes of each tree's root
	treeDepth int        // deepest level of any tree (root: 0)

	yieldBase  int
	yieldRoots []yieldRoot
	yieldsPer  []uint8 // Yield calls of each yield G, indexed by slot-yieldBase
	yieldCalls uint64  // total Yield calls the workload makes

	roots  []rootRef // submission order, shuffled
	rounds int       // roots are submitted in this many rounds, with a Wait after each

	breakSlot int // slot of the G that counts itself twice, or -1
}

func newPlan(gs int, seed uint64, breakInvariant bool) *plan {
	r := rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
	pl := &plan{gs: gs, seed: seed, breakSlot: -1}
	pl.stormGs = gs * stormShare / 100
	treeGs := gs * treeShare / 100
	yieldGs := gs - pl.stormGs - treeGs

	// Spawn storm.
	for slot, left := 0, pl.stormGs; left > 0; {
		k := min(left, 1+stormMinChildren+r.IntN(stormMaxChildren-stormMinChildren+1))
		pl.stormRoots = append(pl.stormRoots, stormRoot{slot: int32(slot), children: int32(k - 1)})
		slot += k
		left -= k
	}

	// Fork-join trees, generated breadth first with a node cap each.
	pl.treeBase = pl.stormGs
	pl.nodes = make([]treeNode, 0, treeGs)
	var depth []uint8 // depth of each node, for generation only
	for left := treeGs; left > 0; {
		maxDepth := 1 + r.IntN(treeMaxDepth)
		fanout := 1 + r.IntN(treeMaxFanout)
		limit := min(left, 1+r.IntN(treeMaxNodes))
		root := len(pl.nodes)
		pl.treeRoots = append(pl.treeRoots, int32(root))
		pl.nodes = append(pl.nodes, treeNode{})
		depth = append(depth, 0)
		for i := root; i < len(pl.nodes) && len(pl.nodes)-root < limit; i++ {
			d := int(depth[i])
			if d >= maxDepth {
				continue
			}
			f := min(r.IntN(fanout+1), limit-(len(pl.nodes)-root))
			pl.nodes[i].first, pl.nodes[i].n = int32(len(pl.nodes)), int32(f)
			for range f {
				pl.nodes = append(pl.nodes, treeNode{})
				depth = append(depth, uint8(d+1))
			}
			pl.treeDepth = max(pl.treeDepth, d+min(f, 1))
		}
		left -= len(pl.nodes) - root
	}
	for i := len(pl.nodes) - 1; i >= 0; i-- {
		nd := &pl.nodes[i]
		nd.size = 1
		for c := nd.first; c < nd.first+nd.n; c++ {
			nd.size += pl.nodes[c].size
		}
	}

	// Yields.
	pl.yieldBase = pl.treeBase + len(pl.nodes)
	pl.yieldsPer = make([]uint8, yieldGs)
	for slot, left := 0, yieldGs; left > 0; {
		k := min(left, 1+1+r.IntN(yieldMaxChildren))
		pl.yieldRoots = append(pl.yieldRoots, yieldRoot{slot: int32(pl.yieldBase + slot), children: int32(k - 1)})
		pl.yieldsPer[slot] = 1 // the root's one Yield
		for c := 1; c < k; c++ {
			pl.yieldsPer[slot+c] = uint8(1 + r.IntN(yieldMaxCalls))
		}
		slot += k
		left -= k
	}
	for _, n := range pl.yieldsPer {
		pl.yieldCalls += uint64(n)
	}

	// Submission order: the three kinds interleaved at random, so that
	// they run at the same time.
	for i := range pl.stormRoots {
		pl.roots = append(pl.roots, rootRef{rootStorm, int32(i)})
	}
	for i := range pl.treeRoots {
		pl.roots = append(pl.roots, rootRef{rootTree, int32(i)})
	}
	for i := range pl.yieldRoots {
		pl.roots = append(pl.roots, rootRef{rootYield, int32(i)})
	}
	r.Shuffle(len(pl.roots), func(i, j int) { pl.roots[i], pl.roots[j] = pl.roots[j], pl.roots[i] })

	pl.rounds = min(stressRounds, len(pl.roots))

	if breakInvariant {
		pl.breakSlot = r.IntN(gs)
	}
	return pl
}

// rootSlots returns the G numbers [lo, hi) of root ref and of every G it
// spawns, directly or not: each root's Gs are numbered contiguously.
func (pl *plan) rootSlots(ref rootRef) (lo, hi int) {
	switch ref.kind {
	case rootStorm:
		sr := pl.stormRoots[ref.i]
		return int(sr.slot), int(sr.slot+sr.children) + 1
	case rootTree:
		root := pl.treeRoots[ref.i]
		lo = pl.treeBase + int(root)
		return lo, lo + int(pl.nodes[root].size)
	default:
		yr := pl.yieldRoots[ref.i]
		return int(yr.slot), int(yr.slot+yr.children) + 1
	}
}

// roundRoots returns the roots of round r.
func (pl *plan) roundRoots(r int) []rootRef {
	return pl.roots[r*len(pl.roots)/pl.rounds : (r+1)*len(pl.roots)/pl.rounds]
}

// localRound reports whether round r is launched from inside the runtime
// (one submitted root spawns the others) rather than submitted from
// outside. Odd rounds are.
func (pl *plan) localRound(r int) bool { return r%2 == 1 }

// submitted returns the number of Gs submitted with Runtime.Go: every root
// of an outside round, one per local round.
func (pl *plan) submitted() int {
	n := 0
	for r := range pl.rounds {
		if pl.localRound(r) {
			n++
		} else {
			n += len(pl.roundRoots(r))
		}
	}
	return n
}

// total returns the number of Gs the plan runs; it must equal gs.
func (pl *plan) total() int {
	n := len(pl.nodes) + len(pl.yieldsPer)
	for _, sr := range pl.stormRoots {
		n += 1 + int(sr.children)
	}
	return n
}

func (pl *plan) describe() string {
	return fmt.Sprintf("%d Gs in %d rounds = spawn storm %d (%d roots) + fork-join %d (%d trees, depth <= %d) + yields %d (%d roots, %d Yield calls)",
		pl.gs, pl.rounds, pl.stormGs, len(pl.stormRoots), len(pl.nodes), len(pl.treeRoots), pl.treeDepth,
		len(pl.yieldsPer), len(pl.yieldRoots), pl.yieldCalls)
}

// slotKind describes which part of the workload G number slot belongs to,
// for failure messages.
func (pl *plan) slotKind(slot int) string {
	switch {
	case slot < pl.treeBase:
		for _, sr := range pl.stormRoots {
			if slot == int(sr.slot) {
				return "spawn-storm root"
			}
		}
		return "spawn-storm child"
	case slot < pl.yieldBase:
		return "fork-join node"
	}
	for _, yr := range pl.yieldRoots {
		if slot == int(yr.slot) {
			return "yield root"
		}
	}
	return "yielding child"
}

// stress is the state of one run: the plan and what the Gs record.
type stress struct {
	pl *plan

	// slots[n] is the number of times G number n ran. Each G adds one to
	// its own slot (atomic: a G may run on any M).
	slots []atomic.Uint32
	// subtree[i] is written by tree node i when it finishes, with plain
	// stores: the size of its subtree as it counted it. Its parent reads it
	// after Group.Wait, which must order the two (the race detector checks
	// that, and the value checks that Wait did not return early).
	subtree []int32

	fails failureLog
}

// failureLog collects invariant violations seen inside Gs. The lock is
// taken only on a failure, for a few instructions, so it never holds an M
// for long.
type failureLog struct {
	n    atomic.Int64
	mu   sync.Mutex
	msgs []string // protected by mu: the first maxFailures messages
}

const maxFailures = 10

func (fl *failureLog) addf(format string, args ...any) {
	if fl.n.Add(1) > maxFailures {
		return
	}
	msg := fmt.Sprintf(format, args...)
	fl.mu.Lock()
	fl.msgs = append(fl.msgs, msg)
	fl.mu.Unlock()
}

// list returns the messages, with a count of those left out.
func (fl *failureLog) list() []string {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	out := append([]string(nil), fl.msgs...)
	if n := fl.n.Load(); n > int64(len(out)) {
		out = append(out, fmt.Sprintf("... and %d more violations inside Gs", n-int64(len(out))))
	}
	return out
}

// mark records that G number slot ran.
func (s *stress) mark(slot int) {
	s.slots[slot].Add(1)
	if slot == s.pl.breakSlot {
		s.slots[slot].Add(1) // -break-invariant: count this G twice
	}
}

func (s *stress) stormRoot(gp *usched.G, sr stormRoot) {
	s.mark(int(sr.slot))
	for c := sr.slot + 1; c <= sr.slot+sr.children; c++ {
		gp.Go(func(*usched.G) { s.mark(int(c)) })
	}
}

func (s *stress) treeNode(gp *usched.G, i int32) {
	s.mark(s.pl.treeBase + int(i))
	nd := s.pl.nodes[i]
	size := int32(1)
	if nd.n > 0 {
		var grp usched.Group
		for c := nd.first; c < nd.first+nd.n; c++ {
			grp.Go(gp, func(gp *usched.G) { s.treeNode(gp, c) })
		}
		if err := grp.Wait(gp); err != nil {
			s.fails.addf("fork-join node G %d: Group.Wait returned %v", s.pl.treeBase+int(i), err)
		}
		for c := nd.first; c < nd.first+nd.n; c++ {
			if n := s.slots[s.pl.treeBase+int(c)].Load(); n == 0 {
				s.fails.addf("fork-join node G %d: Group.Wait returned before child G %d ran", s.pl.treeBase+int(i), s.pl.treeBase+int(c))
			}
			size += s.subtree[c]
		}
	}
	s.subtree[i] = size
	if size != nd.size {
		s.fails.addf("fork-join node G %d: subtree counted %d Gs after Group.Wait, want %d", s.pl.treeBase+int(i), size, nd.size)
	}
}

func (s *stress) yieldRoot(gp *usched.G, yr yieldRoot) {
	s.mark(int(yr.slot))
	half := yr.slot + yr.children/2
	for c := yr.slot + 1; c <= yr.slot+yr.children; c++ {
		gp.Go(func(gp *usched.G) { s.yielder(gp, int(c)) })
		if c == half {
			s.yield(gp, int(yr.slot))
		}
	}
	if yr.children < 2 {
		s.yield(gp, int(yr.slot))
	}
}

func (s *stress) yielder(gp *usched.G, slot int) {
	s.mark(slot)
	for range s.pl.yieldsPer[slot-s.pl.yieldBase] {
		s.yield(gp, slot)
	}
}

// yield calls gp.Yield and checks that gp is still itself afterwards: a
// descriptor recycled while its G was suspended would show a new ID.
func (s *stress) yield(gp *usched.G, slot int) {
	id := gp.ID()
	gp.Yield()
	if got := gp.ID(); got != id {
		s.fails.addf("yielding G %d: G.ID changed across Yield from %#x to %#x", slot, id, got)
	}
}

// result is what a run produced, for the report and the verdict.
type result struct {
	pl          *plan
	procs       int
	cpus        int // CPUs of the machine
	maxprocsWas int // GOMAXPROCS before New
	elapsed     time.Duration
	stats       usched.Stats
	failures    []string
}

// runPlan runs pl on a new runtime and checks the invariants. An error
// means the run could not be made (New failed); broken invariants are in
// result.failures.
func runPlan(pl *plan, cfg stressConfig, stdout, stderr io.Writer) (*result, error) {
	res := &result{pl: pl, cpus: runtime.NumCPU(), maxprocsWas: runtime.GOMAXPROCS(0)}
	if got := pl.total(); got != pl.gs {
		// A bug in newPlan, not in the runtime; still a broken invariant.
		res.failures = append(res.failures, fmt.Sprintf("the plan has %d Gs, want -gs %d", got, pl.gs))
	}
	s := &stress{
		pl:      pl,
		slots:   make([]atomic.Uint32, pl.total()),
		subtree: make([]int32, len(pl.nodes)),
	}

	rt, err := usched.New(usched.Config{Procs: cfg.procs})
	if err != nil {
		return nil, err
	}
	closed := false
	defer func() {
		if !closed {
			rt.Close()
		}
	}()
	res.procs = rt.Procs()

	var bar *progressBar
	if f, ok := stderr.(*os.File); ok && cfg.progress && isTerminal(f) {
		bar = startProgress(f, uint64(pl.gs), func() uint64 { return rt.Stats().Total().FinishedGs })
	}

	// The roots are started in rounds, each followed by Runtime.Wait, so
	// that each Wait is checked on its own: every G of the round must have
	// run when it returns. Even rounds are submitted from outside, odd
	// rounds spawned from inside (see localRound): with a full global
	// queue no P ever runs dry, so only the second kind makes Ps steal
	// much.
	start := time.Now()
	var checking time.Duration // spent in checkRound, not in the runtime
	var waitErrs []string
	var round atomic.Int32 // the round running now, for the watchdog
	watchdog := time.AfterFunc(cfg.timeout, func() {
		bar.stop()
		s.hung(stdout, stderr, cfg, rt, int(round.Load()))
		os.Exit(exitFail)
	})
	defer watchdog.Stop()
	for r := range pl.rounds {
		round.Store(int32(r))
		roots := pl.roundRoots(r)
		if pl.localRound(r) {
			// One root comes in through the global queue and spawns the
			// rest of the round with G.Go: the whole round starts in one
			// P's deque, and the other Ps must steal it.
			first, rest := s.rootFn(roots[0]), roots[1:]
			rt.Go(func(gp *usched.G) {
				for _, ref := range rest {
					gp.Go(s.rootFn(ref))
				}
				first(gp)
			})
		} else {
			// Submit from two goroutines at once, so that Runtime.Go
			// races with itself as well as with the Ms taking from the
			// global queue.
			const submitters = 2
			var wg sync.WaitGroup
			for j := range submitters {
				wg.Go(func() {
					for k := j; k < len(roots); k += submitters {
						rt.Go(s.rootFn(roots[k]))
					}
				})
			}
			wg.Wait()
		}
		if err := rt.Wait(); err != nil && len(waitErrs) < maxFailures {
			waitErrs = append(waitErrs, fmt.Sprintf("Runtime.Wait after round %d returned %v", r, oneLine(err)))
		}
		t := time.Now()
		if msg := s.checkRound(roots); msg != "" && len(waitErrs) < maxFailures {
			waitErrs = append(waitErrs, fmt.Sprintf("round %d: %s", r, msg))
		}
		checking += time.Since(t)
	}
	res.elapsed = time.Since(start) - checking // the runtime's time only
	// Every M is idle once Wait has returned, and an idle runtime's
	// counters are exact (see usched.Stats).
	res.stats = rt.Stats()
	bar.stop()

	res.failures = append(res.failures, waitErrs...)
	res.failures = append(res.failures, s.fails.list()...)
	res.failures = append(res.failures, s.checkSlots()...)
	res.failures = append(res.failures, checkStats(pl, res.stats)...)
	closed = true
	if err := rt.Close(); err != nil {
		res.failures = append(res.failures, fmt.Sprintf("Runtime.Close returned %v", oneLine(err)))
	}
	return res, nil
}

// rootFn returns the function of root ref.
func (s *stress) rootFn(ref rootRef) func(*usched.G) {
	pl := s.pl
	switch ref.kind {
	case rootStorm:
		sr := pl.stormRoots[ref.i]
		return func(gp *usched.G) { s.stormRoot(gp, sr) }
	case rootTree:
		i := pl.treeRoots[ref.i]
		return func(gp *usched.G) { s.treeNode(gp, i) }
	default:
		yr := pl.yieldRoots[ref.i]
		return func(gp *usched.G) { s.yieldRoot(gp, yr) }
	}
}

// checkRound checks, after a round's Runtime.Wait, that every G of the
// round's roots (the roots and all they spawned) has run. It returns the
// first violation, or "".
func (s *stress) checkRound(roots []rootRef) string {
	for _, ref := range roots {
		lo, hi := s.pl.rootSlots(ref)
		for slot := lo; slot < hi; slot++ {
			if s.slots[slot].Load() == 0 {
				return fmt.Sprintf("Runtime.Wait returned before G %d (%s) ran", slot, s.pl.slotKind(slot))
			}
		}
	}
	return ""
}

// hung reports a run that has not finished after -timeout: a hang is a
// broken invariant too (a lost wake-up, a G lost from every queue), and the
// report says which Gs have not run and what each P looks like. The caller
// then exits: nothing is left to wait for.
func (s *stress) hung(stdout, stderr io.Writer, cfg stressConfig, rt *usched.Runtime, round int) {
	notRun, first := 0, -1 // in the round that hangs
	for _, ref := range s.pl.roundRoots(round) {
		lo, hi := s.pl.rootSlots(ref)
		for slot := lo; slot < hi; slot++ {
			if s.slots[slot].Load() == 0 {
				if first < 0 {
					first = slot
				}
				notRun++
			}
		}
	}
	st := rt.Stats()
	tot := st.Total()
	failures := []string{fmt.Sprintf("the run has not finished after %v: in round %d of %d, %d Gs have not run",
		cfg.timeout, round, s.pl.rounds, notRun)}
	if first >= 0 {
		failures = append(failures, fmt.Sprintf("round %d: G %d (%s) is the first that has not run", round, first, s.pl.slotKind(first)))
	}
	failures = append(failures, fmt.Sprintf("Stats: SubmittedGs %d, SpawnedGs %d, FinishedGs %d, GlobalQueueGs %d, IdleMs %d, SpinningMs %d",
		st.SubmittedGs, tot.SpawnedGs, tot.FinishedGs, st.GlobalQueueGs, st.IdleMs, st.SpinningMs))
	for _, ps := range st.Ps {
		failures = append(failures, fmt.Sprintf("Stats: P%d: RunqGs %d, RanGs %d, FinishedGs %d, Suspends %d, ResumedGs %d",
			ps.P, ps.RunqGs, ps.RanGs, ps.FinishedGs, ps.Suspends, ps.ResumedGs))
	}
	s.fails.mu.Lock()
	failures = append(failures, s.fails.msgs...)
	s.fails.mu.Unlock()
	printFailures(stdout, cfg, failures)
	fmt.Fprintln(stderr, "usched stress: goroutines at the timeout:")
	pprof.Lookup("goroutine").WriteTo(stderr, 2)
}

// checkSlots checks that each G ran exactly once.
func (s *stress) checkSlots() []string {
	var out []string
	bad := 0
	for slot := range s.slots {
		n := s.slots[slot].Load()
		if n == 1 {
			continue
		}
		bad++
		if bad > maxFailures {
			continue
		}
		if n == 0 {
			out = append(out, fmt.Sprintf("G %d (%s) never ran", slot, s.pl.slotKind(slot)))
		} else {
			out = append(out, fmt.Sprintf("G %d (%s) ran %d times", slot, s.pl.slotKind(slot), n))
		}
	}
	if bad > maxFailures {
		out = append(out, fmt.Sprintf("... %d Gs in all did not run exactly once", bad))
	}
	for _, root := range s.pl.treeRoots {
		if got, want := s.subtree[root], s.pl.nodes[root].size; got != want && bad == 0 {
			out = append(out, fmt.Sprintf("fork-join tree at G %d counted %d nodes, want %d", s.pl.treeBase+int(root), got, want))
		}
	}
	return out
}

// checkStats checks that the runtime's counters balance after Wait.
func checkStats(pl *plan, st usched.Stats) []string {
	var out []string
	fail := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	tot := st.Total()
	if want := uint64(pl.submitted()); st.SubmittedGs != want {
		fail("Stats.SubmittedGs = %d, want %d (Gs submitted with Runtime.Go)", st.SubmittedGs, want)
	}
	if in := st.SubmittedGs + tot.SpawnedGs; tot.FinishedGs != in {
		fail("Stats: FinishedGs = %d, want SubmittedGs + SpawnedGs = %d + %d = %d", tot.FinishedGs, st.SubmittedGs, tot.SpawnedGs, in)
	}
	if tot.FinishedGs != uint64(pl.gs) {
		fail("Stats: FinishedGs = %d, want -gs = %d", tot.FinishedGs, pl.gs)
	}
	if tot.RanGs != tot.FinishedGs {
		fail("Stats: RanGs = %d, want FinishedGs = %d", tot.RanGs, tot.FinishedGs)
	}
	if tot.PanickedGs != 0 || tot.NotRunGs != 0 || st.RejectedGs != 0 {
		fail("Stats: PanickedGs = %d, NotRunGs = %d, RejectedGs = %d, want 0", tot.PanickedGs, tot.NotRunGs, st.RejectedGs)
	}
	if tot.Yields < pl.yieldCalls {
		fail("Stats: Yields = %d, want at least the %d Yield calls made", tot.Yields, pl.yieldCalls)
	}
	if st.GlobalQueueGs != 0 || tot.RunqGs != 0 {
		fail("Stats after Wait: GlobalQueueGs = %d, RunqGs = %d, want 0", st.GlobalQueueGs, tot.RunqGs)
	}
	if tot.StolenGs != tot.StolenFromGs {
		fail("Stats: Gs stolen in (%d) != Gs stolen out (%d)", tot.StolenGs, tot.StolenFromGs)
	}
	if tot.Steals > tot.StealAttempts || tot.Steals > tot.StolenGs {
		fail("Stats: Steals = %d exceeds StealAttempts = %d or StolenGs = %d", tot.Steals, tot.StealAttempts, tot.StolenGs)
	}
	for t, ps := range st.Ps {
		var col uint64
		for v := range st.StealMatrix {
			col += st.StealMatrix[v][t]
		}
		if col != ps.StolenGs {
			fail("Stats: steal matrix column P%d sums to %d, want its StolenGs = %d", t, col, ps.StolenGs)
		}
		if st.StealMatrix[t][t] != 0 {
			fail("Stats: P%d stole %d Gs from itself", t, st.StealMatrix[t][t])
		}
	}
	return out
}

// oneLine flattens an error (errors.Join uses newlines) for a FAIL line.
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
