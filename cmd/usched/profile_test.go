package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/usched/usched"
)

// svgDoc is what the tests read of one of the report's SVG plots.
type svgDoc struct {
	ID     string `xml:"id,attr"`
	Class  string `xml:"class,attr"`
	Title  string `xml:"title"`
	Series []struct {
		Name      string `xml:"data-series,attr"`
		Polylines []struct {
			Points string `xml:"points,attr"`
		} `xml:"polyline"`
	} `xml:"g"`
	Rects []struct {
		Class  string `xml:"class,attr"`
		Victim string `xml:"data-victim,attr"`
		Thief  string `xml:"data-thief,attr"`
		Gs     string `xml:"data-gs,attr"`
	} `xml:"rect"`
}

// reportSVGs parses every <svg> element of an HTML report, by id. Each
// must be well-formed XML on its own.
func reportSVGs(t *testing.T, page string) map[string]*svgDoc {
	t.Helper()
	out := map[string]*svgDoc{}
	for _, raw := range regexp.MustCompile(`(?s)<svg .*?</svg>`).FindAllString(page, -1) {
		doc := &svgDoc{}
		if err := xml.Unmarshal([]byte(raw), doc); err != nil {
			t.Errorf("an SVG of the report is not well-formed XML: %v\n%.300s", err, raw)
			continue
		}
		out[doc.ID] = doc
	}
	return out
}

func (d *svgDoc) seriesNames() []string {
	var names []string
	for _, s := range d.Series {
		if s.Name != "" {
			names = append(names, s.Name)
		}
	}
	return names
}

// TestProfileReport profiles a stress run end to end and checks the
// report's plots and numbers against what the workload itself printed.
func TestProfileReport(t *testing.T) {
	t.Parallel()
	report := filepath.Join(t.TempDir(), "out.html")
	out, errs, code := runCmd(t, "profile", "--report", report, "--", "stress", "-scenario", "fib", "-gs", "20000", "-procs", "2", "-seed", "1")
	if code != exitOK {
		t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	// stdout is a pipe: the workload's report, with one line per sample.
	for _, want := range []string{"seed 1\n", "\nfib: PASS\n", "\nPASS\n", "\nprofile 0s fib: runq 0,0 | runtime started\n", "report of "} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^profile \S+ fib: runq [\d,]+ \| Gs/s \S+ \| in/s \S+ \| out/s \S+ \| parks/s \S+ \| spins/s \S+ \| preempt/s \S+ \| handoffs/s \S+ \| syscalls/s \S+$`).MatchString(out) {
		t.Errorf("stdout has no sample line with rates:\n%s", out)
	}
	m := regexp.MustCompile(`ok   every G ran exactly once: (\d+) Gs`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("stdout lacks the count of Gs run:\n%s", out)
	}
	ran, _ := strconv.Atoi(m[1])
	// fib rounds -gs down to whole trees.
	if ran < 10000 || ran > 20000 {
		t.Fatalf("the workload ran %d Gs, want at most the 20000 asked for and at least half", ran)
	}
	m = regexp.MustCompile(`(?m)^\s*fib\s+PASS\s+1\s+\d+\s+\S+\s+\S+\s+(\d+)\s`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("stdout lacks the summary row:\n%s", out)
	}
	stolen, _ := strconv.Atoi(m[1])

	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.HasSuffix(page, "</html>\n") {
		t.Errorf("the report is not a whole HTML page:\n%.200s", page)
	}
	// Self-contained: no scripts, no links or sources, no URL but the SVG
	// namespace.
	for _, bad := range []string{"<script", "src=", "href=", "<link", "https:"} {
		if strings.Contains(page, bad) {
			t.Errorf("the report has %q: it must stand alone", bad)
		}
	}
	if n := strings.Count(page, "http:") - strings.Count(page, `xmlns="http://www.w3.org/2000/svg"`); n != 0 {
		t.Errorf("the report has %d URLs besides the SVG namespace", n)
	}

	svgs := reportSVGs(t, page)
	for id, title := range map[string]string{
		"gs-run":         "Gs run per second, per P",
		"steal-rate":     "Gs stolen per second, per thief P",
		"runq":           "Run queue length, per P",
		"latency-cdf":    "Scheduling latency CDF",
		"steal-matrix-1": "Steal matrix: fib",
	} {
		doc := svgs[id]
		if doc == nil {
			t.Errorf("the report has no plot %q (%s)", id, title)
			continue
		}
		if doc.Title != title {
			t.Errorf("plot %s: title %q, want %q", id, doc.Title, title)
		}
	}
	for _, id := range []string{"gs-run", "steal-rate", "runq"} {
		if doc := svgs[id]; doc != nil {
			names := doc.seriesNames()
			for _, p := range []string{"P0", "P1"} {
				if !slicesContains(names, p) {
					t.Errorf("plot %s has no series %s: %v", id, p, names)
				}
			}
			for _, s := range doc.Series {
				for _, pl := range s.Polylines {
					if pl.Points == "" {
						t.Errorf("plot %s: series %s has an empty line", id, s.Name)
					}
				}
			}
		}
	}
	if doc := svgs["runq"]; doc != nil && !slicesContains(doc.seriesNames(), "global") {
		t.Errorf("the run queue plot has no global queue series: %v", doc.seriesNames())
	}
	if doc := svgs["latency-cdf"]; doc != nil {
		if names := doc.seriesNames(); len(names) != 1 || names[0] != "fib" || len(doc.Series[0].Polylines) != 1 {
			t.Errorf("the latency CDF has series %v, want one line for fib", names)
		}
	}

	// The heat map's cells add up to the Gs stolen, as the workload
	// counted them, and have one cell per ordered pair of Ps.
	if doc := svgs["steal-matrix-1"]; doc != nil {
		pairs := map[string]bool{}
		sum := 0
		for _, r := range doc.Rects {
			if r.Class != "cell" {
				continue
			}
			n, err := strconv.Atoi(r.Gs)
			if err != nil || r.Victim == r.Thief {
				t.Errorf("bad cell %+v", r)
			}
			pairs[r.Victim+">"+r.Thief] = true
			sum += n
		}
		if !pairs["P0>P1"] || !pairs["P1>P0"] {
			t.Errorf("the steal matrix lacks the P0/P1 cells: %v", pairs)
		}
		if sum != stolen {
			t.Errorf("the steal matrix's cells add up to %d Gs, the workload reported %d stolen", sum, stolen)
		}
	}

	// The tables: the run's row and the final counters by metric name.
	want := map[string]string{
		`<tr data-run="fib" data-gs-run="` + strconv.Itoa(ran) + `" data-gs-stolen="` + strconv.Itoa(stolen) + `">`: "the runs table's row",
		`<tr data-metric="/usched/gs/run:gs" data-total="` + strconv.Itoa(ran) + `">`:                               "Gs run",
		`<tr data-metric="/usched/gs/finished:gs" data-total="` + strconv.Itoa(ran) + `">`:                          "Gs finished",
		`<tr data-metric="/usched/steals:gs" data-total="` + strconv.Itoa(stolen) + `">`:                            "Gs stolen",
		`<tr data-metric="/usched/gs/submitted:gs" data-total="1">`:                                                 "Gs submitted (fib: one tree)",
		`<tr data-metric="/usched/procs:ps" data-total="2">`:                                                        "Ps",
	}
	for row, what := range want {
		if !strings.Contains(page, row) {
			t.Errorf("the report lacks %s: %s", what, row)
		}
	}
	if n := strings.Count(page, "<tr data-metric="); n != len((usched.Stats{}).Metrics()) {
		t.Errorf("the counters table has %d rows, want one per metric (%d)", n, len((usched.Stats{}).Metrics()))
	}
	if errs != "" {
		t.Errorf("stderr not empty:\n%s", errs)
	}
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestProfileRepeatedRuns checks that runs of one scenario repeated by
// -duration are told apart, since each has a runtime of its own. The
// duration must hold two runs even on a loaded CI machine: with 150 ms,
// one run (New, fib, Close, the samples) took all of it there once, and
// the test failed for want of a second run.
func TestProfileRepeatedRuns(t *testing.T) {
	t.Parallel()
	report := filepath.Join(t.TempDir(), "out.html")
	out, errs, code := runCmd(t, "profile", "--interval", "50ms", "--report", report, "--",
		"stress", "-scenario", "fib", "-gs", "1000", "-procs", "2", "-seed", "2", "-duration", "1s")
	if code != exitOK {
		t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`data-run="fib"`, `data-run="fib #2"`, "Steal matrix: fib #2"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if !strings.Contains(out, "profile 0s fib: runq") || !strings.Contains(out, " fib #2: runq") {
		t.Errorf("stdout lacks the sample lines of both runs:\n%s", out)
	}
}

// TestProfileExitStatus checks that profile exits as its workload does.
func TestProfileExitStatus(t *testing.T) {
	t.Parallel()
	report := filepath.Join(t.TempDir(), "out.html")
	out, errs, code := runCmd(t, "profile", "--report", report, "--", "stress", "-scenario", "storm", "-gs", "5000", "-procs", "2", "-seed", "7", "-inject-fault", "drop")
	if code != exitFail {
		t.Errorf("a failing workload: exit status %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if !strings.Contains(out, "FAIL: storm (seed 7)") {
		t.Errorf("stdout lacks the workload's failure:\n%s", out)
	}
	if _, err := os.Stat(report); err != nil {
		t.Errorf("no report for a failing workload: %v", err)
	}
	out, errs, code = runCmd(t, "profile", "--", "stress", "-gs", "0")
	if code != exitUsage || !strings.Contains(errs, "-gs must be at least 1") {
		t.Errorf("a workload's usage error: exit status %d, want 2\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "started no usched runtime") {
		t.Errorf("stderr does not say that nothing was sampled:\n%s", errs)
	}
}

func TestProfileUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"profile"}, "no workload: put the usched command to profile after --"},
		{[]string{"profile", "stress", "-scenario", "fib"}, `unexpected argument "stress" before --`},
		{[]string{"profile", "--report", "x.html"}, "no workload"},
		{[]string{"profile", "--"}, "no workload after --"},
		{[]string{"profile", "--interval", "0s", "--", "stress"}, "--interval must be positive, got 0s"},
		{[]string{"profile", "--bogus", "--", "stress"}, "flag provided but not defined: -bogus"},
		{[]string{"profile", "--", "nosuch"}, `unknown command "nosuch"`},
		{[]string{"profile", "--", "profile", "--", "stress"}, "cannot profile the profile command"},
		{[]string{"profile", "--", "bench", "latency"}, "bench runs its experiments in another process"},
		{[]string{"profile", "--report", "/nonexistent-dir/x.html", "--", "stress"}, ""}, // exit 1, checked below
	} {
		out, errs, code := runCmd(t, tc.args...)
		if tc.want == "" {
			if code != exitFail || !strings.Contains(errs, "no such file or directory") || strings.Contains(out, "seed") {
				t.Errorf("usched %v: exit status %d, want 1 before the workload runs\nstdout:\n%s\nstderr:\n%s", tc.args, code, out, errs)
			}
			continue
		}
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
	out, _, code := runCmd(t, "help", "profile")
	if code != exitOK || !strings.Contains(out, "usage: usched profile [--report FILE.html] [--trace FILE.json] [--interval 1s] -- <command> [args]") || !strings.Contains(out, "-report") {
		t.Errorf("usched help profile: exit status %d:\n%s", code, out)
	}
}

// sample returns a Sample of two Ps at time at (ms from zero).
func sample(at int, ran0, ran1, stolen01, stolen10 uint64, runq0, runq1 int) *usched.Sample {
	return &usched.Sample{
		Time: time.Unix(0, 0).Add(time.Duration(at) * time.Millisecond),
		Run:  "test",
		Stats: usched.Stats{
			Procs: 2,
			Ps: []usched.PStats{
				{P: 0, RanGs: ran0, StolenGs: stolen10, StolenFromGs: stolen01, RunqGs: runq0},
				{P: 1, RanGs: ran1, StolenGs: stolen01, StolenFromGs: stolen10, RunqGs: runq1},
			},
			StealMatrix: [][]uint64{{0, stolen01}, {stolen10, 0}},
		},
	}
}

func TestRenderProfileLine(t *testing.T) {
	first := sample(0, 0, 0, 0, 0, 0, 0)
	second := sample(500, 1000, 3000, 50, 0, 4, 7)
	if got, want := renderProfileLine(nil, first, 0), "profile 0s test: runq 0,0 | runtime started"; got != want {
		t.Errorf("first sample:\n%q, want\n%q", got, want)
	}
	got := renderProfileLine(first, second, 500*time.Millisecond)
	want := "profile 500ms test: runq 4,7 | Gs/s 2k,6k | in/s 0,100 | out/s 100,0 | parks/s 0 | spins/s 0 | preempt/s 0 | handoffs/s 0 | syscalls/s 0"
	if got != want {
		t.Errorf("second sample:\n%q, want\n%q", got, want)
	}
}

func TestRenderProfileFrame(t *testing.T) {
	frame := renderProfileFrame(sample(0, 0, 0, 0, 0, 0, 0), sample(1000, 1000, 3000, 900, 100, 4, 7), time.Second)
	text := strings.Join(frame, "\n")
	for _, re := range []string{
		`(?m)^usched profile   test   t 1s   2 Ps`,
		`(?m)^\s+P\s+runq\s+Gs run/s\s+steals in/s\s+out/s\s+parks/s\s+spins/s\s+preempt/s\s+handoffs/s\s+syscalls/s$`,
		`(?m)^\s+P0\s+4\s+1k\s+100\s+900\s+0\s+0\s+0\s+0\s+0$`,
		`(?m)^\s+P1\s+7\s+3k\s+900\s+100\s+0\s+0\s+0\s+0\s+0$`,
		`(?m)^\s+all\s+11\s+4k\s+1k\s+1k\s`,
		`(?m)@ = 900\)$`,
		// Rows are victims: P0 lost 900 Gs to P1 (the peak), P1 100 to P0.
		`(?m)^  P0  \\  @$`,
		`(?m)^  P1  [.:=+*#%-]  \\$`,
	} {
		if !regexp.MustCompile(re).MatchString(text) {
			t.Errorf("frame lacks a match for %s:\n%s", re, text)
		}
	}
}

func TestHeatChar(t *testing.T) {
	for _, tc := range []struct {
		n, peak uint64
		want    byte
	}{{0, 0, ' '}, {0, 10, ' '}, {10, 10, '@'}, {1, 1000000, '.'}, {1, 4, '+'}} {
		if got := heatChar(tc.n, tc.peak); got != tc.want {
			t.Errorf("heatChar(%d, %d) = %q, want %q", tc.n, tc.peak, got, tc.want)
		}
	}
}

func TestLineWriterKeepsLinesWhole(t *testing.T) {
	var buf syncBuffer
	view := &profileView{w: &buf}
	lw := &lineWriter{w: &buf, mu: &view.mu}
	lw.Write([]byte("first ha"))
	view.show(nil, sample(0, 0, 0, 0, 0, 0, 0)) // between the halves of a line
	lw.Write([]byte("lf\nsecond"))
	lw.flush()
	want := "profile 0s test: runq 0,0 | runtime started\nfirst half\nsecond"
	if got := buf.String(); got != want {
		t.Errorf("output\n%q, want\n%q", got, want)
	}
}

func TestTailBuffer(t *testing.T) {
	var tb tailBuffer
	tb.Write([]byte("one\ntw"))
	if got := tb.lastLine(); got != "tw" {
		t.Errorf("lastLine = %q, want the line being written", got)
	}
	tb.Write([]byte("o\n\n  \n"))
	if got := tb.lastLine(); got != "two" {
		t.Errorf("lastLine = %q, want two (blank lines skipped)", got)
	}
	if tb.String() != "one\ntwo\n\n  \n" {
		t.Errorf("String = %q", tb.String())
	}
}

// TestProfileTrace: --trace writes a Chrome trace that parses as JSON and
// holds G slices and thread names.
func TestProfileTrace(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "t.json")
	_, stderr, code := runCmd(t, "profile", "--trace", trace, "--", "stress", "-scenario", "fib", "-gs", "20000", "-progress=false")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		TraceEvents []struct {
			Ph string `json:"ph"`
		} `json:"traceEvents"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("trace is not JSON: %v", err)
	}
	kinds := map[string]int{}
	for _, ev := range doc.TraceEvents {
		kinds[ev.Ph]++
	}
	if kinds["X"] == 0 || kinds["M"] == 0 {
		t.Fatalf("trace lacks G slices or track names: %v", kinds)
	}
}
