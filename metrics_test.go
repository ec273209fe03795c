package usched_test

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/usched/usched"
)

// metricsWorkload runs a fork-join tree on two Ps, so that steals and
// both Ps' counters are likely non-zero, and returns the idle runtime,
// whose counters are then exact.
func metricsWorkload(t *testing.T) *usched.Runtime {
	t.Helper()
	rt, err := usched.New(usched.Config{Procs: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	for range 4 {
		rt.Go(func(gp *usched.G) { fib(gp, 16) })
	}
	if err := rt.Wait(); err != nil {
		t.Fatal(err)
	}
	return rt
}

// TestMetricsMatchStats checks each name against the Stats field it
// stands for, for the total and each P.
func TestMetricsMatchStats(t *testing.T) {
	st := metricsWorkload(t).Stats()
	tot := st.Total()
	byName := map[string]usched.Metric{}
	for _, m := range st.Metrics() {
		if _, dup := byName[m.Name]; dup {
			t.Errorf("metric %s listed twice", m.Name)
		}
		if !regexp.MustCompile(`^/usched(/[a-z0-9-]+)+:[a-z]+$`).MatchString(m.Name) {
			t.Errorf("metric %q is not of the form /usched/<path>:<unit>", m.Name)
		}
		if m.Help == "" || (m.Kind != usched.MetricCounter && m.Kind != usched.MetricGauge) {
			t.Errorf("metric %s: help %q, kind %v", m.Name, m.Help, m.Kind)
		}
		byName[m.Name] = m
	}
	nps := len(st.Ps) + len(st.SparePs)
	perP := map[string]func(usched.PStats) uint64{
		"/usched/gs/spawned:gs":          func(ps usched.PStats) uint64 { return ps.SpawnedGs },
		"/usched/gs/run:gs":              func(ps usched.PStats) uint64 { return ps.RanGs },
		"/usched/gs/finished:gs":         func(ps usched.PStats) uint64 { return ps.FinishedGs },
		"/usched/gs/suspended:gs":        func(ps usched.PStats) uint64 { return ps.Suspends },
		"/usched/steals:gs":              func(ps usched.PStats) uint64 { return ps.StolenGs },
		"/usched/steals/out:gs":          func(ps usched.PStats) uint64 { return ps.StolenFromGs },
		"/usched/steals:steals":          func(ps usched.PStats) uint64 { return ps.Steals },
		"/usched/steals/attempts:probes": func(ps usched.PStats) uint64 { return ps.StealAttempts },
		"/usched/parks:parks":            func(ps usched.PStats) uint64 { return ps.Parks },
		"/usched/preemptions:gs":         func(ps usched.PStats) uint64 { return ps.Preemptions },
		"/usched/syscalls:calls":         func(ps usched.PStats) uint64 { return ps.Syscalls },
	}
	for name, field := range perP {
		m, ok := byName[name]
		if !ok {
			t.Errorf("no metric %s", name)
			continue
		}
		if len(m.PerP) != nps {
			t.Errorf("%s has %d per-P values, want %d (Ps and spare Ps)", name, len(m.PerP), nps)
			continue
		}
		for i, ps := range append(st.Ps, st.SparePs...) {
			if m.PerP[i] != float64(field(ps)) {
				t.Errorf("%s of P%d = %v, want %d", name, i, m.PerP[i], field(ps))
			}
		}
		if m.Value != float64(field(tot)) {
			t.Errorf("%s = %v, want Total's %d", name, m.Value, field(tot))
		}
	}
	whole := map[string]float64{
		"/usched/procs:ps":                  2,
		"/usched/gs/submitted:gs":           4,
		"/usched/gomaxprocs:threads":        float64(st.GOMAXPROCS),
		"/usched/sched/latency/samples:gs":  float64(st.SchedLatency.Count()),
		"/usched/sched/latency/p99:seconds": st.SchedLatency.Quantile(0.99).Seconds(),
		"/usched/preempt/quantum:seconds":   st.Preemption.Quantum.Seconds(),
		"/usched/preempt/spare-ms:threads":  float64(st.Preemption.SpareMs),
	}
	for name, want := range whole {
		m, ok := byName[name]
		if !ok || m.PerP != nil || m.Value != want {
			t.Errorf("%s = %+v (found %v), want value %v and no per-P values", name, m, ok, want)
		}
	}
	if m, ok := st.Metric("/usched/gs/run:gs"); !ok || m.Value != float64(tot.RanGs) || m.Value < 4 {
		t.Errorf("Metric(/usched/gs/run:gs) = %+v, %v; want %d", m, ok, tot.RanGs)
	}
	if _, ok := st.Metric("/usched/nosuch:gs"); ok {
		t.Error("Metric found a name that does not exist")
	}
}

// TestMetricsDocumented checks that the doc comment of Stats.Metrics
// lists every metric, and nothing else.
func TestMetricsDocumented(t *testing.T) {
	src, err := os.ReadFile("metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, _, ok := strings.Cut(string(src), "func (st Stats) Metrics()")
	if !ok {
		t.Fatal("metrics.go has no Stats.Metrics")
	}
	doc = doc[strings.LastIndex(doc, "\n\n"):]
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^//\t(/usched/\S+)`).FindAllStringSubmatch(doc, -1) {
		documented[m[1]] = true
	}
	// The latency quantiles share a line: p50, "also p90, p99, p999".
	for _, q := range []string{"p90", "p99", "p999"} {
		documented["/usched/sched/latency/"+q+":seconds"] = true
	}
	for _, m := range (usched.Stats{}).Metrics() {
		if !documented[m.Name] {
			t.Errorf("metric %s is not in the doc comment of Stats.Metrics", m.Name)
		}
		delete(documented, m.Name)
	}
	for name := range documented {
		t.Errorf("the doc comment of Stats.Metrics lists %s, which Metrics does not return", name)
	}
}

// promSample is one sample line of the Prometheus text format.
type promSample struct {
	name   string
	labels map[string]string
	value  float64
}

var (
	promSampleRE = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	promLabelRE  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
	promCommRE   = regexp.MustCompile(`^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$`)
)

// parseProm parses the text format, failing t on a line that breaks it:
// every sample must follow a HELP and a TYPE line of its family, and a
// family must come in one block.
func parseProm(t *testing.T, r io.Reader) (samples []promSample, types map[string]string) {
	t.Helper()
	types = map[string]string{}
	help := map[string]bool{}
	done := map[string]bool{}
	cur := ""
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if m := promCommRE.FindStringSubmatch(line); m != nil {
			if m[2] != cur {
				if done[m[2]] {
					t.Errorf("family %s appears twice", m[2])
				}
				done[cur] = true
				cur = m[2]
			}
			if m[1] == "HELP" {
				help[m[2]] = true
			} else {
				types[m[2]] = m[3]
			}
			continue
		}
		m := promSampleRE.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("not a sample line: %q", line)
			continue
		}
		if m[1] != cur || !help[cur] || types[cur] == "" {
			t.Errorf("sample %q outside its family's block (HELP and TYPE first)", line)
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Errorf("sample %q: %v", line, err)
		}
		s := promSample{name: m[1], labels: map[string]string{}, value: v}
		for _, l := range promLabelRE.FindAllStringSubmatch(m[2], -1) {
			s.labels[l[1]] = l[2]
		}
		samples = append(samples, s)
	}
	return samples, types
}

func TestMetricsHandler(t *testing.T) {
	rt := metricsWorkload(t)
	srv := httptest.NewServer(usched.MetricsHandler(rt))
	defer srv.Close()

	st := rt.Stats() // idle: the scrape below reads the same counters
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, ct)
	}
	samples, types := parseProm(t, resp.Body)

	get := func(name string, labels ...string) (float64, bool) {
	next:
		for _, s := range samples {
			if s.name != name || len(s.labels) != len(labels)/2 {
				continue
			}
			for i := 0; i < len(labels); i += 2 {
				if s.labels[labels[i]] != labels[i+1] {
					continue next
				}
			}
			return s.value, true
		}
		return 0, false
	}
	want := func(v float64, name string, labels ...string) {
		t.Helper()
		got, ok := get(name, labels...)
		if !ok || got != v {
			t.Errorf("%s%v = %v (found %v), want %v", name, labels, got, ok, v)
		}
	}

	for i, ps := range st.Ps {
		p := strconv.Itoa(i)
		want(float64(ps.RanGs), "usched_gs_run_total", "p", p)
		want(float64(ps.SpawnedGs), "usched_gs_spawned_total", "p", p)
		want(float64(ps.StolenGs), "usched_steals_gs_total", "p", p)
		want(float64(ps.StolenFromGs), "usched_steals_out_gs_total", "p", p)
		want(float64(ps.RunqGs), "usched_gs_runq", "p", p)
		want(1, "usched_p_info", "p", p, "cpu", strconv.Itoa(ps.CPU), "tid", strconv.Itoa(ps.TID))
		for j := range st.Ps {
			if i != j {
				want(float64(st.StealMatrix[i][j]), "usched_steals_matrix_gs_total", "victim", p, "thief", strconv.Itoa(j))
			}
		}
	}
	want(4, "usched_gs_submitted_total")
	want(2, "usched_procs_ps")
	want(st.SchedLatency.Quantile(0.99).Seconds(), "usched_sched_latency_p99_seconds")
	want(1, "usched_preempt_info", "mode", st.Preemption.Mode, "block_detection", st.Preemption.BlockDetection)
	want(1, "usched_policy_info", "policy", st.Policy)
	if _, ok := get("usched_gs_run_total"); ok {
		t.Error("a per-P metric has an unlabelled series: sum() would count it twice")
	}

	// Summed over Ps, the run counter is every G of the workload.
	var ran float64
	for _, s := range samples {
		if s.name == "usched_gs_run_total" {
			ran += s.value
		}
	}
	if ran != float64(st.Total().RanGs) || ran < 4 {
		t.Errorf("sum of usched_gs_run_total = %v, want %d", ran, st.Total().RanGs)
	}

	// Every metric of Metrics has a family of its own.
	if len(types) != len(st.Metrics())+4 {
		t.Errorf("%d families, want %d (one per metric, the matrix and three info families)", len(types), len(st.Metrics())+4)
	}
	for name, typ := range types {
		if (typ == "counter") != strings.HasSuffix(name, "_total") {
			t.Errorf("family %s of type %s: counters, and only they, end in _total", name, typ)
		}
	}
}

func TestMetricsHandlerMethods(t *testing.T) {
	rt, err := usched.New(usched.Config{Procs: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	h := usched.MetricsHandler(rt)
	for _, tc := range []struct {
		method string
		code   int
		body   bool
	}{{"GET", 200, true}, {"HEAD", 200, false}, {"POST", 405, true}} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tc.method, "/metrics", nil))
		if rec.Code != tc.code || (rec.Body.Len() > 0) != tc.body {
			t.Errorf("%s: status %d with %d bytes, want %d (body %v)", tc.method, rec.Code, rec.Body.Len(), tc.code, tc.body)
		}
		if tc.code == 405 && rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: Allow %q", tc.method, rec.Header().Get("Allow"))
		}
	}
}

// TestMetricsPromNamesUnique checks that no two metrics share a
// Prometheus name, whatever their units.
func TestMetricsPromNamesUnique(t *testing.T) {
	rt, err := usched.New(usched.Config{Procs: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	rec := httptest.NewRecorder()
	usched.MetricsHandler(rt).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	_, types := parseProm(t, rec.Body) // parseProm fails a family seen twice
	if len(types) != len(rt.Stats().Metrics())+4 {
		t.Errorf("%d families for %d metrics and 4 extra families: two metrics share a name", len(types), len(rt.Stats().Metrics()))
	}
}
