package main

// What watches a scenario while it runs: the progress bar on a terminal,
// and the watchdog that turns a hang into a failure report.

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/usched/usched/stress"
)

// watchdog reports a scenario that has not finished after -timeout: a hang
// is a broken invariant too (a lost wake-up, a G lost from every queue),
// and the report says which Gs have not run and what each P looks like.
// It then exits the process: nothing is left to wait for.
type watchdog struct {
	cfg      stressConfig
	scenario string
	seed     uint64
	fault    stress.Fault
	stdout   io.Writer
	stderr   io.Writer
	timer    *time.Timer

	mu  sync.Mutex
	run *stress.RunInfo // protected by mu: nil until the runtime runs
	bar *progressBar    // protected by mu: nil without a terminal
}

// startWatchdog starts the timer of one scenario run; it covers the whole
// run, Close and its checks included.
func startWatchdog(cfg stressConfig, scenario string, seed uint64, fault stress.Fault, stdout, stderr io.Writer) *watchdog {
	wd := &watchdog{cfg: cfg, scenario: scenario, seed: seed, fault: fault, stdout: stdout, stderr: stderr}
	wd.timer = time.AfterFunc(cfg.timeout, wd.fire)
	return wd
}

// watch is the scenario's Options.Watch: it records the run for the
// report and starts the progress bar, which reads the runtime's count of
// finished Gs, so the Gs pay nothing for it.
func (wd *watchdog) watch(r stress.RunInfo) (stop func()) {
	wd.mu.Lock()
	defer wd.mu.Unlock()
	wd.run = &r
	if f, ok := wd.stderr.(*os.File); ok && wd.cfg.progress && isTerminal(f) {
		rt := r.Runtime
		wd.bar = startProgress(f, uint64(r.Gs), func() uint64 { return rt.Stats().Total().FinishedGs })
	}
	bar := wd.bar
	// "usched profile" samples the runtime until the workload is done;
	// the runtime is still open then, and idle, so the last sample is
	// exact.
	observed := observeRuntime(r.Scenario, r.Runtime)
	return func() {
		bar.stop()
		observed()
	}
}

// stop ends the watch of a run that finished.
func (wd *watchdog) stop() { wd.timer.Stop() }

func (wd *watchdog) fire() {
	wd.mu.Lock()
	run, bar := wd.run, wd.bar
	wd.mu.Unlock()
	bar.stop()
	failures := []string{fmt.Sprintf("the run has not finished after %v", wd.cfg.timeout)}
	if run != nil {
		failures = append(failures, run.Pending())
		st := run.Runtime.Stats()
		tot := st.Total()
		failures = append(failures, fmt.Sprintf("Stats: SubmittedGs %d, SpawnedGs %d, FinishedGs %d, NotRunGs %d, GlobalQueueGs %d, IdleMs %d, SpinningMs %d",
			st.SubmittedGs, tot.SpawnedGs, tot.FinishedGs, tot.NotRunGs, st.GlobalQueueGs, st.IdleMs, st.SpinningMs))
		for _, ps := range append(st.Ps, st.SparePs...) {
			failures = append(failures, fmt.Sprintf("Stats: P%d: RunqGs %d, RanGs %d, FinishedGs %d, Suspends %d, ResumedGs %d",
				ps.P, ps.RunqGs, ps.RanGs, ps.FinishedGs, ps.Suspends, ps.ResumedGs))
		}
	}
	for _, f := range failures {
		fmt.Fprintf(wd.stdout, "FAIL: %s (seed %d): %s\n", wd.scenario, wd.seed, f)
	}
	fmt.Fprintf(wd.stdout, "reproduce with: %s\n", reproCommand(wd.cfg, wd.scenario, wd.seed, wd.fault))
	fmt.Fprintln(wd.stdout, "FAIL")
	fmt.Fprintln(wd.stderr, "usched stress: goroutines at the timeout:")
	pprof.Lookup("goroutine").WriteTo(wd.stderr, 2)
	os.Exit(exitFail)
}
