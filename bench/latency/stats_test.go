package latency

import (
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestQuantileExact(t *testing.T) {
	seq := func(n int) []int64 {
		s := make([]int64, n)
		for i := range s {
			s[i] = int64(i + 1)
		}
		return s
	}
	for _, tc := range []struct {
		data []int64
		q    float64
		want int64
	}{
		{seq(1000), 0.5, 500},
		{seq(1000), 0.99, 990},
		{seq(1000), 0.999, 999},
		{seq(1000), 1, 1000},
		{seq(1000), 0.0001, 1},
		{seq(100), 0.99, 99},
		{seq(100), 0.999, 100}, // rank ceil(99.9) = 100
		{seq(101), 0.5, 51},
		{seq(10), 0.55, 6},
		{[]int64{7}, 0.5, 7},
		{[]int64{7}, 0.999, 7},
		{nil, 0.5, 0},
		{[]int64{1, 1, 1, 5, 9}, 0.6, 1}, // 3 of 5 samples are <= 1
		{[]int64{1, 1, 1, 5, 9}, 0.61, 5},
	} {
		if got := Quantile(tc.data, tc.q); got != tc.want {
			t.Errorf("Quantile(%d samples %v..., %v) = %d, want %d", len(tc.data), tc.data[:min(3, len(tc.data))], tc.q, got, tc.want)
		}
	}
}

// TestSummarize checks Summarize against the definition on shuffled data,
// including never-completed (Inf) samples.
func TestSummarize(t *testing.T) {
	lat := make([]int64, 0, 10_000)
	for i := range 9_990 {
		lat = append(lat, int64(i+1)*10)
	}
	for range 10 {
		lat = append(lat, Inf)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(lat), func(i, j int) { lat[i], lat[j] = lat[j], lat[i] })
	ps := Summarize(lat)
	want := Percentiles{N: 10_000, P50: 50_000, P99: 99_000, P999: 99_900, Max: Inf, Inf: 10}
	if ps != want {
		t.Errorf("Summarize = %+v, want %+v", ps, want)
	}
	if !slices.IsSorted(lat) {
		t.Errorf("Summarize did not sort its input")
	}
	// 0.1% never completed: p99.9 lands on the last completed one, a
	// finer quantile on Inf.
	if q := Quantile(lat, 0.9995); q != Inf {
		t.Errorf("p99.95 = %d, want Inf", q)
	}
	if ps := Summarize(nil); ps != (Percentiles{}) {
		t.Errorf("Summarize(nil) = %+v", ps)
	}
}

// TestSummarizePoint checks the latency arithmetic of a point: done -
// intended, dropped and unfinished requests as Inf, short and long apart.
func TestSummarizePoint(t *testing.T) {
	const base = 1_000_000
	ps := pointSpec{Workload: "a", Variant: Coop, Executor: ExecPool, Load: 0.5, Rate: 1000,
		Sched: Schedule{Offsets: []int64{100, 200, 300, 400, 500}, Kinds: []uint32{KindShort, KindLong, KindShort, KindShort, KindShort}}}
	intended := []int64{base + 100, base + 200, base + 300, base + 400, base + 500}
	late := []int64{1, 2, 3, 4, 5}
	dropped := []bool{false, false, true, false, false}
	done := []int64{base + 150, base + 1200, 0, 0, base + 530}
	pt := summarize(ps, intended, late, dropped, done)
	if pt.Dropped != 1 || pt.Unfinished != 1 || pt.Long != 1 || pt.Requests != 5 {
		t.Errorf("dropped %d unfinished %d long %d requests %d, want 1 1 1 5", pt.Dropped, pt.Unfinished, pt.Long, pt.Requests)
	}
	// Shorts: 50, 30, Inf (dropped), Inf (unfinished).
	if pt.Short.N != 4 || pt.Short.P50 != 50 || pt.Short.Inf != 2 || pt.Short.Max != Inf {
		t.Errorf("short = %+v", pt.Short)
	}
	if pt.LongP.N != 1 || pt.LongP.P50 != 1000 {
		t.Errorf("long = %+v", pt.LongP)
	}
	// 3 completed from the first arrival (base+100) to the last completion
	// (base+1200): 1100 ns.
	if want := 3 / 1100e-9; pt.Achieved < want*0.999 || pt.Achieved > want*1.001 {
		t.Errorf("achieved %.0f/s, want %.0f/s", pt.Achieved, want)
	}
	if want := 5 / 500e-9; pt.Offered != want {
		t.Errorf("offered %.0f/s, want %.0f/s", pt.Offered, want)
	}
}

// TestReportPartial writes the report of a sweep that lacks executors (so
// that goal ratios are NaN) and has a failed point: the JSON must encode,
// and the markdown must say what is missing instead of inventing ratios.
func TestReportPartial(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Workloads, cfg.Variants, cfg.Executors, cfg.Loads = []string{"a"}, []Variant{Coop}, []string{ExecUsched, ExecPool}, []float64{0.7}
	r := &Results{Config: cfg, Machine: map[string]string{}, Calibrations: map[string]*Calibration{}}
	r.Points = []*Point{
		{Workload: "a", Variant: Coop, Executor: ExecUsched, Load: 0.7, Short: Percentiles{P99: 1000}, ExecShare: 1, GenShare: 1},
		{Workload: "a", Variant: Coop, Executor: ExecPool, Load: 0.7, Error: "child crashed | badly"},
	}
	g := r.Goals()
	if len(g) != 1 || !math.IsNaN(float64(g[0].VsGoroutines)) || !math.IsNaN(float64(g[0].VsPool)) || g[0].Met {
		t.Fatalf("goals %+v: want NaN ratios (goroutines not run, pool failed), not met", g)
	}
	files, err := r.WriteFiles(t.TempDir(), "test")
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "failed: child crashed / badly") {
		t.Errorf("markdown does not report the failed point:\n%s", md)
	}
	b, _ := Ratio(math.Inf(1)).MarshalJSON()
	if string(b) != `"inf"` {
		t.Errorf("Inf ratio encodes as %s", b)
	}
}

// TestConfigs checks that the two standard configurations are valid and
// keep their guards against a busy machine switched on.
func TestConfigs(t *testing.T) {
	for name, c := range map[string]Config{"default": DefaultConfig(), "quick": QuickConfig()} {
		if cpus, _ := AllowedCPUs(); len(cpus) >= 2 {
			if err := c.validate(); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		if c.MinShare <= 0 || c.Retries < 1 || c.MaxGenLate <= 0 || c.QuietWait <= 0 || c.QuietBudget <= 0 || c.Quantum != Quantum {
			t.Errorf("%s: disturbance guards or quantum unset: %+v", name, c)
		}
	}
}
