package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// uschedBin is the path of the command, built once by TestMain.
var uschedBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "usched-cmd-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	uschedBin = filepath.Join(dir, "usched")
	build := exec.Command("go", "build", "-o", uschedBin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the command: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// runCmd runs the built command with args and returns its stdout, stderr
// and exit status.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(uschedBin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("running usched %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

func TestStressPass(t *testing.T) {
	t.Parallel()
	out, errs, code := runCmd(t, "stress", "-gs", "20000", "-procs", "2", "-progress=false", "-seed", "1")
	if code != exitOK {
		t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if !strings.HasPrefix(out, "seed 1\n") {
		t.Errorf("stdout does not start with the seed:\n%s", out)
	}
	for _, want := range []string{
		"procs 2", "GOMAXPROCS", "elapsed", "Gs/s",
		"Gs run", "steals in", "steals out", "steal attempts", "stolen in/s", "stolen in/1000 run", "parks", "spins", "yields", "total",
		"steal matrix", "victim\\thief",
		"p50", "p99", "p99.9",
		"\nPASS\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "FAIL") {
		t.Errorf("stdout has a FAIL line:\n%s", out)
	}
	// The total row of the per-P table counts every G once.
	if !regexp.MustCompile(`(?m)^\s*total\s+20000\s`).MatchString(out) {
		t.Errorf("per-P table has no total row with 20000 Gs run:\n%s", out)
	}
	// stderr is a pipe here: no progress bar, whatever -progress says.
	if errs != "" {
		t.Errorf("stderr not empty:\n%s", errs)
	}
}

func TestStressBreakInvariant(t *testing.T) {
	t.Parallel()
	out, errs, code := runCmd(t, "stress", "-gs", "5000", "-procs", "2", "-seed", "7", "-break-invariant")
	if code != exitFail {
		t.Fatalf("exit status %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if !regexp.MustCompile(`(?m)^FAIL: G \d+ \(.*\) ran 2 times$`).MatchString(out) {
		t.Errorf("stdout lacks a FAIL line for a G that ran twice:\n%s", out)
	}
	if strings.Contains(out, "\nPASS\n") {
		t.Errorf("stdout says PASS:\n%s", out)
	}
	if !strings.Contains(out, "reproduce with: usched stress -gs 5000 -procs 2 -seed 7 -break-invariant") {
		t.Errorf("stdout lacks the command that reproduces the failure:\n%s", out)
	}
}

func TestStressTimeout(t *testing.T) {
	t.Parallel()
	out, errs, code := runCmd(t, "stress", "-gs", "5000000", "-procs", "2", "-seed", "3", "-timeout", "1ms")
	if code != exitFail {
		t.Fatalf("exit status %d, want 1\nstdout:\n%s", code, out)
	}
	if !strings.Contains(out, "FAIL: the run has not finished after 1ms") {
		t.Errorf("stdout lacks the timeout failure:\n%s", out)
	}
	if !strings.Contains(errs, "goroutine ") {
		t.Errorf("stderr lacks the goroutine dump:\n%.2000s", errs)
	}
}

func TestSeedFromClockIsPrinted(t *testing.T) {
	t.Parallel()
	out, errs, code := runCmd(t, "stress", "-gs", "100", "-procs", "1")
	if code != exitOK {
		t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if !regexp.MustCompile(`^seed \d+\n`).MatchString(out) {
		t.Errorf("first line is not the seed:\n%s", out)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string // in stderr
	}{
		{nil, "Usage:"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"stress", "-gs", "-5"}, "-gs must be at least 1, got -5"},
		{[]string{"stress", "-gs", "0"}, "-gs must be at least 1, got 0"},
		{[]string{"stress", "-procs", "-1"}, "-procs must be 0 (one per CPU) or more, got -1"},
		{[]string{"stress", "-timeout", "0s"}, "-timeout must be positive, got 0s"},
		{[]string{"stress", "-gs", "many"}, `invalid value "many" for flag -gs`},
		{[]string{"stress", "-nosuchflag"}, "flag provided but not defined: -nosuchflag"},
		{[]string{"stress", "extra"}, `unexpected argument "extra"`},
		{[]string{"help", "frobnicate"}, `unknown command "frobnicate"`},
	} {
		out, errs, code := runCmd(t, tc.args...)
		if code != exitUsage {
			t.Errorf("usched %v: exit status %d, want 2\nstdout:\n%s\nstderr:\n%s", tc.args, code, out, errs)
		}
		if !strings.Contains(errs, tc.want) {
			t.Errorf("usched %v: stderr lacks %q:\n%s", tc.args, tc.want, errs)
		}
		if strings.Contains(out, "seed") {
			t.Errorf("usched %v: ran the workload:\n%s", tc.args, out)
		}
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	out, _, code := runCmd(t, "help")
	if code != exitOK || !strings.Contains(out, "stress") || !strings.Contains(out, "help") {
		t.Errorf("usched help: exit status %d, stdout:\n%s", code, out)
	}
	out, _, code = runCmd(t, "help", "stress")
	if code != exitOK {
		t.Errorf("usched help stress: exit status %d", code)
	}
	for _, want := range []string{"-gs", "-procs", "-seed", "-progress", "-timeout"} {
		if !strings.Contains(out, want) {
			t.Errorf("usched help stress lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "break-invariant") {
		t.Errorf("usched help stress lists the hidden flag:\n%s", out)
	}
	if _, _, code := runCmd(t, "stress", "-h"); code != exitOK {
		t.Errorf("usched stress -h: exit status %d, want 0", code)
	}
}

// TestPlanTotals checks, in process, that the workload has exactly -gs
// Gs for small and odd sizes, that the same seed draws the same workload,
// and that each root's Gs are numbered contiguously and cover every slot
// once.
func TestPlanTotals(t *testing.T) {
	for _, gs := range []int{1, 2, 3, 4, 5, 7, 10, 99, 100, 101, 1000, 4097, 123457} {
		pl := newPlan(gs, uint64(gs)*31, false)
		if got := pl.total(); got != gs {
			t.Errorf("gs %d: plan has %d Gs", gs, got)
		}
		covered := make([]int, gs)
		for _, ref := range pl.roots {
			lo, hi := pl.rootSlots(ref)
			for i := lo; i < hi; i++ {
				covered[i]++
			}
		}
		for i, n := range covered {
			if n != 1 {
				t.Errorf("gs %d: slot %d (%s) belongs to %d roots", gs, i, pl.slotKind(i), n)
				break
			}
		}
		if pl.rounds < 1 || pl.rounds > len(pl.roots) {
			t.Errorf("gs %d: %d rounds for %d roots", gs, pl.rounds, len(pl.roots))
		}
	}
	a, b := newPlan(50000, 42, false), newPlan(50000, 42, false)
	if a.describe() != b.describe() || len(a.nodes) != len(b.nodes) || a.roots[0] != b.roots[0] {
		t.Errorf("seed 42 drew two different workloads:\n%s\n%s", a.describe(), b.describe())
	}
}

func TestRenderProgress(t *testing.T) {
	for _, tc := range []struct {
		done, total uint64
		elapsed     time.Duration
		want        string
	}{
		{0, 100, 0, "[>         ]   0.0%  0/100 Gs  0 Gs/s"},
		{50, 100, time.Second, "[=====>    ]  50.0%  50/100 Gs  50 Gs/s"},
		{250000, 1000000, 100 * time.Millisecond, "[==>       ]  25.0%  250000/1000000 Gs  2.5M Gs/s"},
		{1000000, 1000000, 500 * time.Millisecond, "[==========] 100.0%  1000000/1000000 Gs  2M Gs/s"},
		{120, 100, time.Second, "[==========] 100.0%  100/100 Gs  100 Gs/s"}, // a counter past total is clamped
	} {
		if got := renderProgress(tc.done, tc.total, tc.elapsed, 10); got != tc.want {
			t.Errorf("renderProgress(%d, %d, %v) =\n%q, want\n%q", tc.done, tc.total, tc.elapsed, got, tc.want)
		}
	}
}

func TestProgressBarRedraws(t *testing.T) {
	var buf syncBuffer
	pb := startProgress(&buf, 10, func() uint64 { return 4 })
	time.Sleep(3 * progressInterval)
	pb.stop()
	pb.stop() // idempotent
	var nilBar *progressBar
	nilBar.stop() // no bar: no-op
	out := buf.String()
	if !strings.HasPrefix(out, "\r[") || !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("progress output %q: want \\r-redrawn lines and one final newline", out)
	}
	if !strings.Contains(out, " 40.0%  4/10 Gs") {
		t.Errorf("progress output %q lacks the count", out)
	}
}

// syncBuffer is a bytes.Buffer safe for the bar's goroutine and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
