package latency

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve as its own child process: Sweep
// starts children by running os.Executable again with ChildEnv set.
func TestMain(m *testing.M) {
	RunChildIfRequested()
	os.Exit(m.Run())
}

// TestSweepSmoke runs the whole pipeline (calibration children, pinned
// executor children, the generator, the shared ring and done[] array, the
// summary, the markdown, the JSON and the plots) on a tiny load: both
// workloads, both variants, every executor, one load point of a few
// hundred requests. It checks that every request was served and counted
// and that the files are written. It asserts no latency: on a shared
// machine those are whatever the neighbours make them.
func TestSweepSmoke(t *testing.T) {
	cpus, err := AllowedCPUs()
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Loads = []float64{0.1}
	cfg.Duration = 5 * time.Millisecond
	cfg.MinShort = 300
	cfg.CalibGets = 501
	cfg.KV.Keys = 3000
	cfg.Retries = 0
	cfg.QuietWait = 0
	cfg.Drain = 30 * time.Second
	cfg.ExecCPU, cfg.GenCPU = cpus[0], cpus[len(cpus)-1]
	cfg.AllowSharedCPU = len(cpus) == 1
	var log bytes.Buffer
	cfg.Log = &log
	res, err := Sweep(cfg)
	t.Logf("sweep log:\n%s", log.String())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(res.Points), 2*2*len(Executors); got != want {
		t.Fatalf("%d points, want %d", got, want)
	}
	for _, pt := range res.Points {
		if pt.Requests < 300 || pt.Dropped != 0 || pt.Unfinished != 0 {
			t.Errorf("%s %s %s: %d requests, %d dropped, %d unfinished", pt.Workload, pt.Variant, pt.Executor, pt.Requests, pt.Dropped, pt.Unfinished)
		}
		if pt.Short.N+pt.LongP.N != pt.Requests || pt.All.N != pt.Requests || pt.Long != pt.LongP.N {
			t.Errorf("%s %s %s: short %d + long %d != all %d / requests %d", pt.Workload, pt.Variant, pt.Executor, pt.Short.N, pt.LongP.N, pt.All.N, pt.Requests)
		}
		if !(pt.Achieved > 0) || pt.Short.Inf != 0 || pt.Attempts != 1 {
			t.Errorf("%s %s %s: achieved %v, %d never served, %d attempts", pt.Workload, pt.Variant, pt.Executor, pt.Achieved, pt.Short.Inf, pt.Attempts)
		}
		if pt.Executor == ExecUsched && pt.Info["config"] == "" {
			t.Errorf("usched point reports no configuration: %v", pt.Info)
		}
	}
	for _, wl := range []string{"a", "b"} {
		if c := res.Calibrations[wl]; c == nil || !(c.Capacity > 0) {
			t.Errorf("workload %s: calibration %+v", wl, c)
		}
	}
	if g := res.Goals(); len(g) != 4 {
		t.Errorf("%d goal lines, want 4", len(g))
	}

	dir := t.TempDir()
	files, err := res.WriteFiles(dir, "go test")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2+4 {
		t.Errorf("wrote %v, want results.md, results.json and 4 PNGs", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(f, ".png") && !bytes.HasPrefix(b, []byte("\x89PNG")):
			t.Errorf("%s is not a PNG", f)
		case strings.HasSuffix(f, ".md") && !bytes.Contains(b, []byte("| executor | load |")):
			t.Errorf("%s has no table:\n%s", f, b)
		case strings.HasSuffix(f, ".json") && !bytes.Contains(b, []byte(`"goals"`)):
			t.Errorf("%s has no goals", f)
		}
	}
}
