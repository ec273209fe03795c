package main

// The end-of-run checks of the stress command: every G ran exactly once,
// and the runtime's counters balance.

import (
	"fmt"
	"io"
	"runtime/pprof"
	"strings"

	"github.com/usched/usched"
)

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
