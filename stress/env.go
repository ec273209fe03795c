package stress

// The machinery every scenario shares: the per-G counters, the log of
// violations seen inside Gs, the runtime's lifetime, and the checks run
// after every workload (see doc.go for the list).

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usched/usched"
)

// env is the state of one run of a scenario.
type env struct {
	sc   *Scenario
	opts Options
	res  *Result
	// rng draws the workload's shape; used only by prepare, before the
	// runtime starts, so it needs no lock.
	rng *rand.Rand
	rt  *usched.Runtime

	// slots[n] counts the runs of G number n. Numbers are assigned by the
	// workload when it draws its shape (or, in the close scenario, when it
	// creates the G), never taken from G.ID, which is recycled. Each G adds
	// one to its own slot: atomic, since a G may run on any M.
	slots []atomic.Uint32
	// kind names the part of the workload G number n belongs to, for
	// failure messages; nil means just "G n".
	kind func(n int) string
	// faultSlot is the G that Options.Fault hits, or -1; faultRange
	// bounds the draw (0: len(slots)).
	faultSlot  int
	faultRange int

	fails failureLog

	// submitted counts the Gs accepted by Runtime.Go through e.submit,
	// for the check against Stats.SubmittedGs (in the close scenario, the
	// calls of Go and TryGo, accepted or not).
	submitted atomic.Uint64
	want      expect

	// checking is time the workload spent checking between rounds, taken
	// off Elapsed. Written by the workload's goroutine only.
	checking time.Duration
	// closed is set once the workload has closed the runtime itself (the
	// close scenario); finalStats is then what Stats said after Close.
	closed     bool
	finalStats usched.Stats
}

// expect is what the workload tells the common checks to expect of the
// counters once it is done.
type expect struct {
	// gs is the number of Gs that must have finished (run to the end or
	// panicked).
	gs uint64
	// panicked is the number of Gs that panicked on purpose.
	panicked uint64
	// yieldCalls is the number of G.Yield calls the workload made.
	yieldCalls uint64
	// notRun is the number of Gs reported as not run (by NotRunError
	// counts and TryGo's ErrClosed): the slots allowed to stay at zero.
	// Only the close scenario sets it.
	notRun uint64
	// closing says that the runtime was closed under load, so that
	// NotRunGs and RejectedGs may be non-zero.
	closing bool
}

func newEnv(sc *Scenario, opts Options, res *Result) *env {
	return &env{
		sc: sc, opts: opts, res: res,
		rng:       rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9E3779B97F4A7C15)),
		faultSlot: -1,
	}
}

// newSlots allocates the per-G counters for n Gs.
func (e *env) newSlots(n int) { e.slots = make([]atomic.Uint32, n) }

// mark records that G number n runs. It returns false when the injected
// fault drops that G: the caller must then return at once, as if the G
// had never been run.
func (e *env) mark(n int) bool {
	if n == e.faultSlot {
		switch e.opts.Fault {
		case FaultDrop:
			return false
		case FaultDouble:
			e.slots[n].Add(1)
		}
	}
	e.slots[n].Add(1)
	return true
}

// submit is Runtime.Go, counted for the check against Stats.SubmittedGs.
func (e *env) submit(fn func(*usched.G)) {
	e.rt.Go(fn)
	e.submitted.Add(1)
}

// describeG names G number n for a failure message.
func (e *env) describeG(n int) string {
	if e.kind == nil {
		return fmt.Sprintf("G %d", n)
	}
	return fmt.Sprintf("G %d (%s)", n, e.kind(n))
}

// failf records a violation seen inside a G (or by the workload between
// rounds). Cheap when nothing fails.
func (e *env) failf(format string, args ...any) { e.fails.addf(format, args...) }

// check records the outcome of an invariant.
func (e *env) check(name string, ok bool, format string, args ...any) {
	e.res.Checks = append(e.res.Checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

// note records a fact about the run for the report.
func (e *env) note(format string, args ...any) {
	e.res.Notes = append(e.res.Notes, fmt.Sprintf(format, args...))
}

// execute runs w on a new runtime, then checks the invariants common to
// every scenario and closes the runtime.
func (e *env) execute(w workload) {
	res := e.res
	if e.opts.Fault != FaultNone && len(e.slots) > 0 {
		// A generator of its own, so that injecting a fault does not
		// change the workload the seed draws.
		r := rand.New(rand.NewPCG(e.opts.Seed^0xFA017, e.opts.Seed))
		n := e.faultRange
		if n <= 0 || n > len(e.slots) {
			n = len(e.slots)
		}
		e.faultSlot = r.IntN(n)
	}
	before := snapshotProcess()
	res.GOMAXPROCSBefore = before.maxprocs
	rt, err := usched.New(e.opts.Config)
	if err != nil {
		res.Err = err
		return
	}
	e.rt = rt
	res.Procs = rt.Procs()
	tids := mThreads(rt.Stats(), nil)

	var stop func()
	if e.opts.Watch != nil {
		stop = e.opts.Watch(RunInfo{
			Scenario: e.sc.Name, Seed: e.opts.Seed, Runtime: rt,
			Gs: len(e.slots), Pending: e.pending,
		})
	}
	start := time.Now()
	w.run(e)
	res.Elapsed = time.Since(start) - e.checking
	// After the workload's last Wait every M is idle, and an idle
	// runtime's counters are exact (see usched.Stats).
	if e.closed {
		res.Stats = e.finalStats
	} else {
		res.Stats = rt.Stats()
	}
	if stop != nil {
		stop()
	}
	res.Gs = res.Stats.Total().FinishedGs
	tids = mThreads(res.Stats, tids)

	e.checkSlots()
	msgs, n := e.fails.list()
	e.check("checks inside Gs", n == 0, "%s", strings.Join(msgs, "; "))
	e.checkCounters(res.Stats)
	if !e.closed {
		err := rt.Close()
		e.check("Close returns nil after Wait", err == nil, "Runtime.Close returned %v", errString(err))
	}
	e.checkLeaks(before, tids)
}

// checkSlots checks that every G ran exactly once, or, after Close under
// load, that the Gs that did not run are exactly as many as were reported
// not run.
func (e *env) checkSlots() {
	const name = "every G ran exactly once"
	var zero, multi uint64
	var examples []string
	for n := range e.slots {
		c := e.slots[n].Load()
		switch {
		case c == 1:
			continue
		case c == 0:
			zero++
			if e.want.closing {
				continue // counted against the reports of Gs not run
			}
		default:
			multi++
		}
		if len(examples) < maxExamples {
			if c == 0 {
				examples = append(examples, e.describeG(n)+" never ran")
			} else {
				examples = append(examples, fmt.Sprintf("%s ran %d times", e.describeG(n), c))
			}
		}
	}
	bad := multi
	if !e.want.closing {
		bad += zero
	}
	if bad > uint64(len(examples)) {
		examples = append(examples, fmt.Sprintf("%d Gs in all", bad))
	}
	if e.want.closing {
		if zero != e.want.notRun {
			examples = append(examples, fmt.Sprintf("%d Gs did not run, but %d were reported not run", zero, e.want.notRun))
		}
		ok := multi == 0 && zero == e.want.notRun
		e.check(name, ok, "%s", orDefault(strings.Join(examples, "; "),
			fmt.Sprintf("%d Gs ran once, %d were reported not run and did not run", len(e.slots)-int(zero), zero)))
		return
	}
	e.check(name, bad == 0, "%s", orDefault(strings.Join(examples, "; "), fmt.Sprintf("%d Gs", len(e.slots))))
}

// checkCounters checks the runtime's counters against the workload and
// against each other.
func (e *env) checkCounters(st usched.Stats) {
	tot := st.Total()
	var lost, bal []string
	lostf := func(format string, args ...any) { lost = append(lost, fmt.Sprintf(format, args...)) }
	balf := func(format string, args ...any) { bal = append(bal, fmt.Sprintf(format, args...)) }

	// Nothing lost: every G that came in either finished or was dropped
	// as not run, and as many came in as the workload made.
	if in, out := st.SubmittedGs+tot.SpawnedGs, tot.FinishedGs+tot.NotRunGs; in != out {
		lostf("SubmittedGs + SpawnedGs = %d + %d = %d, but FinishedGs + NotRunGs = %d + %d = %d",
			st.SubmittedGs, tot.SpawnedGs, in, tot.FinishedGs, tot.NotRunGs, out)
	}
	switch want := e.submitted.Load(); {
	case e.want.closing:
		// Runtime.Go and TryGo refuse Gs after Close: every call either
		// came in or was refused.
		if st.SubmittedGs+st.RejectedGs != want {
			lostf("SubmittedGs + RejectedGs = %d + %d, but Go and TryGo were called %d times", st.SubmittedGs, st.RejectedGs, want)
		}
	case st.SubmittedGs != want:
		lostf("SubmittedGs = %d, but the workload submitted %d", st.SubmittedGs, want)
	}
	if tot.FinishedGs != e.want.gs {
		lostf("FinishedGs = %d, want %d", tot.FinishedGs, e.want.gs)
	}
	if e.want.closing {
		if got := tot.NotRunGs + st.RejectedGs; got != e.want.notRun {
			lostf("NotRunGs + RejectedGs = %d + %d = %d, but %d Gs were reported not run", tot.NotRunGs, st.RejectedGs, got, e.want.notRun)
		}
	} else if tot.NotRunGs != 0 || st.RejectedGs != 0 {
		lostf("NotRunGs = %d, RejectedGs = %d before Close, want 0", tot.NotRunGs, st.RejectedGs)
	}
	e.check("nothing lost", len(lost) == 0, "%s", orDefault(strings.Join(lost, "; "),
		fmt.Sprintf("in %d = submitted %d + spawned %d; out %d = finished %d + not run %d",
			st.SubmittedGs+tot.SpawnedGs, st.SubmittedGs, tot.SpawnedGs, tot.FinishedGs+tot.NotRunGs, tot.FinishedGs, tot.NotRunGs)))

	// Counters balance: the per-P counters agree with each other.
	if tot.RanGs != tot.FinishedGs {
		balf("RanGs = %d, want FinishedGs = %d", tot.RanGs, tot.FinishedGs)
	}
	if tot.PanickedGs != e.want.panicked {
		balf("PanickedGs = %d, want %d", tot.PanickedGs, e.want.panicked)
	}
	// Stats.Yields counts G.Yield calls and the polls that yielded.
	if min := e.want.yieldCalls + tot.Preemptions; tot.Yields < min {
		balf("Yields = %d, want at least Yield calls + Preemptions = %d + %d", tot.Yields, e.want.yieldCalls, tot.Preemptions)
	}
	if st.GlobalQueueGs != 0 || tot.RunqGs != 0 {
		balf("GlobalQueueGs = %d, RunqGs = %d once idle, want 0", st.GlobalQueueGs, tot.RunqGs)
	}
	if tot.StolenGs != tot.StolenFromGs {
		balf("Gs stolen in (%d) != Gs stolen out (%d)", tot.StolenGs, tot.StolenFromGs)
	}
	if tot.Steals > tot.StealAttempts || tot.Steals > tot.StolenGs {
		balf("Steals = %d exceeds StealAttempts = %d or StolenGs = %d", tot.Steals, tot.StealAttempts, tot.StolenGs)
	}
	all := append(append([]usched.PStats(nil), st.Ps...), st.SparePs...)
	if len(st.StealMatrix) != len(all) {
		balf("the steal matrix has %d rows for %d Ps and spare Ps", len(st.StealMatrix), len(all))
	} else {
		for t, ps := range all {
			var col uint64
			for v := range st.StealMatrix {
				col += st.StealMatrix[v][t]
			}
			if col != ps.StolenGs {
				balf("steal matrix column P%d sums to %d, want its StolenGs = %d", t, col, ps.StolenGs)
			}
			if st.StealMatrix[t][t] != 0 {
				balf("P%d stole %d Gs from itself", t, st.StealMatrix[t][t])
			}
		}
	}
	e.check("counters balance", len(bal) == 0, "%s", orDefault(strings.Join(bal, "; "),
		fmt.Sprintf("ran %d, stolen %d in %d steals, %d yields", tot.RanGs, tot.StolenGs, tot.Steals, tot.Yields)))
}

// pending describes the Gs that have not run yet.
func (e *env) pending() string {
	first, n := -1, 0
	for i := range e.slots {
		if e.slots[i].Load() == 0 {
			if first < 0 {
				first = i
			}
			n++
		}
	}
	if n == 0 {
		return fmt.Sprintf("every one of the %d Gs has run", len(e.slots))
	}
	return fmt.Sprintf("%d of %d Gs have not run; the first is %s", n, len(e.slots), e.describeG(first))
}

// waitErr calls Runtime.Wait and records a failure unless it returns nil.
func (e *env) waitErr(what string) {
	if err := e.rt.Wait(); err != nil {
		e.failf("%s: Runtime.Wait returned %v", what, oneLine(err))
	}
}

// failureLog collects violations seen inside Gs. The lock is taken only
// on a failure, for a few instructions, so it never holds an M for long.
type failureLog struct {
	n    atomic.Int64
	mu   sync.Mutex
	msgs []string // protected by mu: the first maxExamples messages
}

// maxExamples bounds the examples a failure message lists.
const maxExamples = 5

func (fl *failureLog) addf(format string, args ...any) {
	if fl.n.Add(1) > maxExamples {
		return
	}
	msg := fmt.Sprintf(format, args...)
	fl.mu.Lock()
	fl.msgs = append(fl.msgs, msg)
	fl.mu.Unlock()
}

// list returns the messages, with a count of those left out, and the
// number of violations.
func (fl *failureLog) list() ([]string, int64) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	out := append([]string(nil), fl.msgs...)
	n := fl.n.Load()
	if n > int64(len(out)) {
		out = append(out, fmt.Sprintf("and %d more", n-int64(len(out))))
	}
	if n == 0 {
		out = []string{"none failed"}
	}
	return out, n
}

// oneLine flattens an error (errors.Join uses newlines) for a message.
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// errString is err on one line, or "nil".
func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return oneLine(err)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// unjoin returns the errors err is made of: errors.Join's list,
// recursively, or err itself.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, unjoin(e)...)
	}
	return out
}

// countNotRun splits err into the Gs it reports not run (the sum of its
// *usched.NotRunError counts) and the other errors.
func countNotRun(err error) (notRun int64, others []error) {
	for _, e := range unjoin(err) {
		var nr *usched.NotRunError
		if errors.As(e, &nr) {
			notRun += nr.Count
			continue
		}
		others = append(others, e)
	}
	return notRun, others
}
