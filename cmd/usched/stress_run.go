package main

// Running a stress plan: the G functions, which mark their slots and
// check what they can locally, and the rounds of submission and Wait.

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usched/usched"
)

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
