package stress

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/usched/usched"
)

// DefaultSize is the number of Gs a scenario runs when Options.Size is 0:
// the size of the README's main stress run.
const DefaultSize = 1_000_000

// MaxSize bounds Options.Size: G numbers are int32 in the plans, and the
// per-G counters take 4 bytes each.
const MaxSize = 1 << 30

// Options configures one run of a scenario.
type Options struct {
	// Size is about how many Gs the scenario runs; each scenario says how
	// it reads it (fib rounds it down to whole trees, uts ignores it: its
	// trees have their published sizes). Zero means DefaultSize.
	Size int
	// Seed draws the shape of the workload (how many children each root
	// spawns, which Gs panic, when Close comes...). The same seed draws
	// the same workload; the interleaving is up to the scheduler and is not
	// reproducible.
	Seed uint64
	// Config configures the runtime the scenario creates.
	Config usched.Config
	// Fault injects a fault into the workload, to test the checks
	// themselves: a run with a fault fails, except in the close scenario
	// when the G it hits is one that Close drops before it runs.
	Fault Fault
	// Watch, if not nil, is called once the runtime is running and the
	// workload about to start; the function it returns is called when the
	// workload is done, before the checks and Close. The command line uses
	// it for its progress bar and its watchdog. Watch must not submit Gs.
	Watch func(RunInfo) (stop func())
}

// RunInfo is what Options.Watch is shown of a run in progress.
type RunInfo struct {
	Scenario string
	Seed     uint64
	Runtime  *usched.Runtime
	// Gs is the number of Gs the workload runs when nothing fails (for a
	// progress bar; the close scenario may run fewer).
	Gs int
	// Pending describes the Gs that have not run yet, for a report on a
	// run that hangs. Safe to call while the workload runs.
	Pending func() string
}

// Fault is a fault injected into a workload so that an invariant breaks.
type Fault int

const (
	// FaultNone runs the workload as it is.
	FaultNone Fault = iota
	// FaultDrop makes one G (chosen by the seed) do nothing, as if it had
	// been lost: it does not record that it ran, nor spawn its children.
	// The runtime still counts it, so only the per-G checks catch it.
	FaultDrop
	// FaultDouble makes one G record that it ran twice, as a G run twice
	// would.
	FaultDouble
)

var faultNames = []string{"none", "drop", "double"}

func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// ParseFault returns the Fault named s: "none", "drop" or "double".
func ParseFault(s string) (Fault, error) {
	if i := slices.Index(faultNames, s); i >= 0 {
		return Fault(i), nil
	}
	return 0, fmt.Errorf("stress: unknown fault %q; want one of %s", s, strings.Join(faultNames, ", "))
}

// Scenario is a named workload with its invariants.
type Scenario struct {
	// Name is the scenario's name on the command line.
	Name string
	// Summary says in one line what it runs and checks.
	Summary string
	// SizeIgnored reports whether the scenario runs the same number of Gs
	// whatever Options.Size says (the UTS trees).
	SizeIgnored bool

	// prepare draws the workload from the options before the runtime
	// exists (so that no drawing is timed) and returns it.
	prepare func(e *env) workload
}

// workload is a scenario's workload, drawn and ready to run.
type workload interface {
	// describe says in one line what was drawn.
	describe() string
	// run runs the workload on e.rt and waits for it. It records what it
	// expects of the counters in e.want and its own checks with e.check.
	run(e *env)
}

// Scenarios returns every scenario, in the order "all" runs them.
func Scenarios() []*Scenario { return slices.Clone(registry) }

// Lookup returns the scenario called name, or nil.
func Lookup(name string) *Scenario {
	for _, sc := range registry {
		if sc.Name == name {
			return sc
		}
	}
	return nil
}

// Names returns the names of every scenario, in the order "all" runs them.
func Names() []string {
	names := make([]string, len(registry))
	for i, sc := range registry {
		names[i] = sc.Name
	}
	return names
}

// registry lists the scenarios in the order "all" runs them: the mixed
// workload first, then the single-feature scenarios from the cheapest
// machinery (spawning) to the most involved (preemption, sleeping and
// blocking Gs, panics, Close).
var registry = []*Scenario{
	mixScenario,
	stormScenario,
	outsideScenario,
	fibScenario,
	utsT1Scenario,
	utsT3Scenario,
	yieldScenario,
	pollingScenario,
	classesScenario,
	hogsScenario,
	sleepScenario,
	blockingScenario,
	panicsScenario,
	closeScenario,
}

// Result is the outcome of one run of a scenario.
type Result struct {
	Scenario string
	Seed     uint64
	Size     int
	Fault    Fault
	// Workload says in one line what the seed drew.
	Workload string
	// Gs is the number of Gs that ran (Stats FinishedGs).
	Gs uint64
	// Elapsed is the time the workload took in the runtime, from the
	// first submission to the return of the last Wait (or Close), less
	// the time the checks between rounds took.
	Elapsed time.Duration
	// Stats is the runtime's counters when the workload was done (after
	// its last Wait; for the close scenario, after Close).
	Stats usched.Stats
	// Procs is the number of Ps; GOMAXPROCSBefore the value before New.
	Procs            int
	GOMAXPROCSBefore int
	// Checks lists every invariant checked, in order, passed or not.
	Checks []Check
	// Notes are facts about the run worth printing: a computed value, the
	// preemption counters.
	Notes []string
	// Err is set when the run could not be made at all (New failed). It
	// is not an invariant, but the run did not pass either.
	Err error
}

// Check is one invariant and whether it held.
type Check struct {
	Name   string
	OK     bool
	Detail string // what was found: why it failed, or what was counted
}

// Passed reports whether the run was made and every invariant held.
func (r *Result) Passed() bool {
	if r.Err != nil {
		return false
	}
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return true
}

// Failures returns one line per broken invariant ("name: detail"), or the
// error that kept the run from being made.
func (r *Result) Failures() []string {
	var out []string
	if r.Err != nil {
		out = append(out, r.Err.Error())
	}
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name+": "+c.Detail)
		}
	}
	return out
}

// Failure describes what failed, one line per broken invariant, or "".
func (r *Result) Failure() string {
	return strings.Join(r.Failures(), "\n")
}

// GsPerSec returns the Gs run per second of Elapsed.
func (r *Result) GsPerSec() float64 {
	if s := r.Elapsed.Seconds(); s > 0 {
		return float64(r.Gs) / s
	}
	return 0
}

// StolenGs returns the Gs stolen from one P by another.
func (r *Result) StolenGs() uint64 { return r.Stats.Total().StolenGs }

// StealsPer1000 returns the Gs stolen per 1000 Gs run.
func (r *Result) StealsPer1000() float64 {
	if r.Gs == 0 {
		return 0
	}
	return 1000 * float64(r.StolenGs()) / float64(r.Gs)
}

// Run runs the scenario once with opts and checks its invariants. It
// creates its own runtime with opts.Config and closes it. Runs must not
// overlap: the check that Close leaves no goroutine or thread behind looks
// at the whole process.
func (sc *Scenario) Run(opts Options) *Result {
	if opts.Size == 0 {
		opts.Size = DefaultSize
	}
	res := &Result{Scenario: sc.Name, Seed: opts.Seed, Size: opts.Size, Fault: opts.Fault}
	if opts.Size < 1 || opts.Size > MaxSize {
		res.Err = fmt.Errorf("stress: Size is %d; want 1 to %d", opts.Size, MaxSize)
		return res
	}
	e := newEnv(sc, opts, res)
	w := sc.prepare(e)
	res.Workload = w.describe()
	e.execute(w)
	return res
}

// RunScenario runs the scenario called name; see Scenario.Run.
func RunScenario(name string, opts Options) (*Result, error) {
	sc := Lookup(name)
	if sc == nil {
		return nil, fmt.Errorf("stress: unknown scenario %q; want one of %s", name, strings.Join(Names(), ", "))
	}
	return sc.Run(opts), nil
}
