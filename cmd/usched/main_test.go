package main

import (
	"bytes"
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
	return runCmdIn(t, "", args...)
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
		"== mix (seed 1)", "workload 20000 Gs",
		"procs 2", "GOMAXPROCS", "elapsed", "Gs/s",
		"Gs run", "steals in", "steals out", "steal attempts", "stolen in/s", "stolen in/1000 run", "parks", "spins", "yields", "total",
		"steal matrix", "victim\\thief",
		"p50", "p99", "p99.9",
		"invariants:", "ok   every G ran exactly once: 20000 Gs", "ok   nothing lost", "ok   counters balance",
		"ok   no goroutine or thread left after Close",
		"\nmix: PASS\n",
		"\nsummary (", "scenario", "stolen Gs", "stolen/1000 Gs",
		"\nPASS\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "FAIL") {
		t.Errorf("stdout has a FAIL line:\n%s", out)
	}
	// The total row of the per-P table counts every G once; so does the
	// summary's row.
	if !regexp.MustCompile(`(?m)^\s*total\s+20000\s`).MatchString(out) {
		t.Errorf("per-P table has no total row with 20000 Gs run:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^\s*mix\s+PASS\s+1\s+20000\s`).MatchString(out) {
		t.Errorf("summary has no row for mix with 20000 Gs:\n%s", out)
	}
	// stderr is a pipe here: no progress bar, whatever -progress says.
	if errs != "" {
		t.Errorf("stderr not empty:\n%s", errs)
	}
}

// summaryRowRE matches scenario's row of the final table when it passed.
func summaryRowRE(scenario string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(scenario) + `\s+PASS\s+\d+\s+\d+\s+\S+\s+\S+\s+\d+\s+\d+\.\d\s*$`)
}

func TestStressScenarios(t *testing.T) {
	t.Parallel()
	list := "storm,outside,fib,yield,polling,hogs,sleep,blocking,panics,close"
	out, errs, code := runCmd(t, "stress", "-scenario", list, "-gs", "5000", "-procs", "2", "-seed", "3")
	if code != exitOK {
		t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	for _, name := range strings.Split(list, ",") {
		if !strings.Contains(out, "\n== "+name+" (seed 3)\n") || !strings.Contains(out, "\n"+name+": PASS\n") {
			t.Errorf("stdout lacks the report of %s:\n%s", name, out)
		}
		if !summaryRowRE(name).MatchString(out) {
			t.Errorf("summary has no passing row for %s:\n%s", name, out)
		}
	}
	if strings.Contains(out, "== mix") {
		t.Errorf("ran mix, which -scenario does not list:\n%s", out)
	}
	for _, want := range []string{"note: fib(", "ok   fib value", "ok   each panic reported once", "ok   every hog completes", "ok   every Sleep returned once", "ok   every byte written read exactly once"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}

// TestStressAll runs every scenario, the UTS trees at their published
// sizes (a few seconds).
func TestStressAll(t *testing.T) {
	if testing.Short() {
		t.Skip("the UTS trees have 4 million nodes each")
	}
	t.Parallel()
	out, errs, code := runCmd(t, "stress", "-scenario", "all", "-gs", "2000", "-procs", "2", "-seed", "5")
	if code != exitOK {
		t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	for _, name := range []string{"mix", "storm", "outside", "fib", "uts-t1", "uts-t3", "yield", "polling", "hogs", "sleep", "blocking", "panics", "close"} {
		if !summaryRowRE(name).MatchString(out) {
			t.Errorf("summary has no passing row for %s:\n%s", name, out)
		}
	}
	for _, want := range []string{"ok   UTS node count: T1: sequential pass 4130071 nodes, parallel run 4130071, published 4130071",
		"ok   UTS node count: T3: sequential pass 4112897 nodes, parallel run 4112897, published 4112897"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}

func TestStressInjectFault(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario, fault string
		want            *regexp.Regexp
	}{
		{"storm", "drop", regexp.MustCompile(`(?m)^FAIL: storm \(seed 7\): every G ran exactly once: G \d+ \(.*\) never ran$`)},
		{"mix", "double", regexp.MustCompile(`(?m)^FAIL: mix \(seed 7\): every G ran exactly once: G \d+ \(.*\) ran 2 times$`)},
		{"fib", "drop", regexp.MustCompile(`(?m)^FAIL: fib \(seed 7\): fib value: tree 0 computed fib\(\d+\) = \d+, want \d+$`)},
	} {
		out, errs, code := runCmd(t, "stress", "-scenario", tc.scenario, "-gs", "5000", "-procs", "2", "-seed", "7", "-inject-fault", tc.fault)
		if code != exitFail {
			t.Fatalf("%s with fault %s: exit status %d, want 1\nstdout:\n%s\nstderr:\n%s", tc.scenario, tc.fault, code, out, errs)
		}
		if !tc.want.MatchString(out) {
			t.Errorf("%s with fault %s: stdout lacks a line matching %s:\n%s", tc.scenario, tc.fault, tc.want, out)
		}
		if !strings.HasSuffix(out, "\nFAIL\n") || strings.Contains(out, "\nPASS\n") {
			t.Errorf("%s with fault %s: stdout does not end in FAIL:\n%s", tc.scenario, tc.fault, out)
		}
		if !regexp.MustCompile(`(?m)^\s*` + tc.scenario + `\s+FAIL \(1 of 1\)`).MatchString(out) {
			t.Errorf("%s with fault %s: summary does not say FAIL:\n%s", tc.scenario, tc.fault, out)
		}
		repro := "reproduce with: usched stress -scenario " + tc.scenario + " -gs 5000 -procs 2 -seed 7 -inject-fault " + tc.fault
		if !strings.Contains(out, repro) {
			t.Errorf("stdout lacks %q:\n%s", repro, out)
		}
	}
}

func TestStressDuration(t *testing.T) {
	t.Parallel()
	out, errs, code := runCmd(t, "stress", "-scenario", "fib,storm", "-gs", "1000", "-procs", "2", "-seed", "10", "-duration", "300ms")
	if code != exitOK {
		t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	// Later passes print one line each, with the next seeds.
	for _, want := range []string{"\n== fib (seed 10)\n", "\n== storm (seed 10)\n", "\npass 1: fib (seed 11): PASS", "\npass 1: storm (seed 11): PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	m := regexp.MustCompile(`(?m)^\s*fib\s+PASS\s+(\d+)\s`).FindStringSubmatch(out)
	if m == nil || m[1] == "1" {
		t.Errorf("summary does not show fib run more than once:\n%s", out)
	}
}

func TestStressTimeout(t *testing.T) {
	t.Parallel()
	out, errs, code := runCmd(t, "stress", "-gs", "5000000", "-procs", "2", "-seed", "3", "-timeout", "1ms")
	if code != exitFail {
		t.Fatalf("exit status %d, want 1\nstdout:\n%s", code, out)
	}
	if !strings.Contains(out, "FAIL: mix (seed 3): the run has not finished after 1ms") {
		t.Errorf("stdout lacks the timeout failure:\n%s", out)
	}
	if !strings.Contains(out, "reproduce with: usched stress -scenario mix -gs 5000000 -procs 2 -seed 3") {
		t.Errorf("stdout lacks the command that reproduces the failure:\n%s", out)
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
		{[]string{"stress", "-gs", "2000000000"}, "-gs must be at most 1073741824, got 2000000000"},
		{[]string{"stress", "-procs", "-1"}, "-procs must be 0 (one per CPU) or more, got -1"},
		{[]string{"stress", "-timeout", "0s"}, "-timeout must be positive, got 0s"},
		{[]string{"stress", "-duration", "-1s"}, "-duration must be 0 (run once) or positive, got -1s"},
		{[]string{"stress", "-scenario", "nosuch"}, `-scenario: unknown scenario "nosuch"; want all, uts, or a list of mix, storm`},
		{[]string{"stress", "-scenario", "fib,,storm"}, `unknown scenario ""`},
		{[]string{"stress", "-inject-fault", "lose"}, `-inject-fault: stress: unknown fault "lose"`},
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
	for _, want := range []string{"-scenario", "-gs", "-procs", "-seed", "-duration", "-progress", "-timeout",
		"mix ", "storm ", "outside ", "fib ", "uts-t1 ", "uts-t3 ", "yield ", "polling ", "hogs ", "panics ", "close "} {
		if !strings.Contains(out, want) {
			t.Errorf("usched help stress lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "inject-fault") {
		t.Errorf("usched help stress lists the hidden flag:\n%s", out)
	}
	if _, _, code := runCmd(t, "stress", "-h"); code != exitOK {
		t.Errorf("usched stress -h: exit status %d, want 0", code)
	}
}

// TestParseScenarios checks, in process, how -scenario is read.
func TestParseScenarios(t *testing.T) {
	names := func(list string) string {
		scs, err := parseScenarios(list)
		if err != nil {
			return "error: " + err.Error()
		}
		var out []string
		for _, sc := range scs {
			out = append(out, sc.Name)
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct{ list, want string }{
		{"mix", "mix"},
		{"fib, storm", "fib,storm"},
		{"fib,storm,fib", "fib,storm"},
		{"uts", "uts-t1,uts-t3"},
		{"uts-t3,uts", "uts-t3,uts-t1"},
		{"all", "mix,storm,outside,fib,uts-t1,uts-t3,yield,polling,classes,hogs,sleep,blocking,panics,close"},
		{"close,all", "close,mix,storm,outside,fib,uts-t1,uts-t3,yield,polling,classes,hogs,sleep,blocking,panics"},
	} {
		if got := names(tc.list); got != tc.want {
			t.Errorf("-scenario %q: %s, want %s", tc.list, got, tc.want)
		}
	}
	if got := names("fib,nosuch"); !strings.HasPrefix(got, "error: unknown scenario \"nosuch\"") {
		t.Errorf("-scenario fib,nosuch: %s", got)
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
