package latency

import (
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Config configures a sweep. DefaultConfig and QuickConfig give the two
// standard ones.
type Config struct {
	Workloads []string  // "a" (spin loops), "b" (pebble)
	Variants  []Variant // Coop, Uncoop
	Executors []string  // from Executors
	Loads     []float64 // offered loads as fractions of capacity

	// Duration is the least schedule length per point; MinShort the least
	// number of short requests (a point gets whichever needs more requests),
	// so that even the lightest load has a stable p99.9.
	Duration time.Duration
	MinShort int

	ExecCPU, GenCPU int
	// AllowSharedCPU lets ExecCPU == GenCPU (single-CPU machines, tests):
	// the numbers then measure the generator's scheduling, not the
	// executors'.
	AllowSharedCPU bool

	// Quantum is the usched executors' Config.Quantum (Quantum by
	// default); it matters only to the one with preemption.
	Quantum time.Duration

	LongFrac  float64 // fraction of long requests
	ShortUs   float64 // workload A's short request, µs of spinning
	LongUs    float64 // workload A's long request
	ScanRatio float64 // workload B: SCAN cost / GET cost to aim at
	CalibGets int     // GETs timed when calibrating workload B
	KV        KVConfig

	// MinShare is the CPU share (see Point.ExecShare) below which a point
	// counts as disturbed by another process; such a point is run up to
	// Retries more times and the least disturbed run is kept. The default
	// is strict (99%) because the CPU is stolen in blocks: 20 ms taken at
	// once from a 1 s point at 70% load queue enough requests to move the
	// p99 by that much (measured: a FIFO pool at 97-98% share had a p99 of
	// 20 ms, at 100% of 2.4 ms).
	MinShare float64
	Retries  int
	// MaxGenLate is the generator lateness (p99, see Point.GenLateP99)
	// above which a point also counts as disturbed: the generator's CPU
	// was taken long enough to bunch arrivals.
	MaxGenLate time.Duration
	// QuietWait bounds how long each run of a point waits for both CPUs
	// to be idle before it starts (see waitQuiet); 0: no waiting.
	// QuietBudget bounds the waiting and the retries of the whole sweep:
	// once that much time has gone into them, points are measured once,
	// at once, and marked when disturbed, so that a busy machine cannot
	// stretch a sweep without bound.
	QuietWait   time.Duration
	QuietBudget time.Duration

	// spent is the time gone into waiting and retries so far.
	spent time.Duration

	RingCap int // request ring slots (a power of two)
	// MaxInflight bounds the requests a child has taken from the ring and
	// not yet served; past it, requests wait in the ring, and past the
	// ring's capacity they are dropped.
	MaxInflight int
	Drain       time.Duration // how long a child waits for stragglers after the last arrival
	Seed        uint64

	Log io.Writer // progress lines; nil: none
}

// DefaultConfig is the full sweep: both workloads and variants, every
// executor, loads 10%..100% of capacity in steps of 10 plus 120%, at
// least 1 s and 25,000 short requests per point.
func DefaultConfig() Config {
	return Config{
		Workloads:   []string{"a", "b"},
		Variants:    []Variant{Coop, Uncoop},
		Executors:   slices.Clone(Executors),
		Loads:       []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2},
		Duration:    time.Second,
		MinShort:    25_000,
		ExecCPU:     0,
		GenCPU:      1,
		Quantum:     Quantum,
		LongFrac:    0.005,
		ShortUs:     5,
		LongUs:      500,
		ScanRatio:   100,
		CalibGets:   20_001,
		KV:          KVConfig{Keys: 100_000, ValueBytes: 64},
		MinShare:    0.99,
		Retries:     2,
		MaxGenLate:  100 * time.Microsecond,
		QuietWait:   20 * time.Second,
		QuietBudget: 4 * time.Minute,
		RingCap:     1 << 18,
		MaxInflight: 1 << 16,
		Drain:       10 * time.Second,
		Seed:        1,
	}
}

// QuickConfig is DefaultConfig cut to about 30 s: three loads around the
// goal's 70%, 0.25 s and 3,000 short requests per point (too few for a
// stable p99.9; p99 is what it is for), a smaller database.
func QuickConfig() Config {
	c := DefaultConfig()
	c.Loads = []float64{0.3, 0.7, 1.0}
	c.Duration = 250 * time.Millisecond
	c.MinShort = 3_000
	c.CalibGets = 5_001
	c.KV.Keys = 20_000
	c.Drain = 3 * time.Second
	c.QuietWait = 5 * time.Second
	c.QuietBudget = 30 * time.Second
	return c
}

// Calibration is a workload's start-up measurement and the capacity it
// implies.
type Calibration struct {
	Workload      string           `json:"workload"`
	Spin          *SpinCalibration `json:"spin,omitempty"`
	Scan          *ScanCalibration `json:"scan,omitempty"`
	MeanServiceNs float64          `json:"mean_service_ns"`
	// Capacity is 1 / mean service time: the request rate one CPU could
	// serve if submitting and scheduling cost nothing.
	Capacity float64 `json:"capacity_rps"`
}

func (c *Calibration) String() string {
	s := ""
	if c.Spin != nil {
		s = c.Spin.String()
	}
	if c.Scan != nil {
		s = c.Scan.String()
	}
	return fmt.Sprintf("%s; mean service %.2f µs, capacity %.0f requests/s", s, c.MeanServiceNs/1e3, c.Capacity)
}

// Results is a whole sweep.
type Results struct {
	Started      time.Time               `json:"started"`
	Config       Config                  `json:"config"`
	Machine      map[string]string       `json:"machine"`
	Calibrations map[string]*Calibration `json:"calibrations"`
	Points       []*Point                `json:"points"`
	// Command is the command line that ran the sweep (set by WriteFiles).
	Command string `json:"command,omitempty"`
}

// validate checks the configuration before anything starts.
func (cfg *Config) validate() error {
	if len(cfg.Workloads) == 0 || len(cfg.Variants) == 0 || len(cfg.Executors) == 0 || len(cfg.Loads) == 0 {
		return fmt.Errorf("latency: nothing to run: workloads %v, variants %v, executors %v, loads %v", cfg.Workloads, cfg.Variants, cfg.Executors, cfg.Loads)
	}
	for _, w := range cfg.Workloads {
		if w != "a" && w != "b" {
			return fmt.Errorf("latency: unknown workload %q (want a or b)", w)
		}
	}
	for _, v := range cfg.Variants {
		if v != Coop && v != Uncoop {
			return fmt.Errorf("latency: unknown variant %q (want coop or uncoop)", v)
		}
	}
	for _, e := range cfg.Executors {
		if !slices.Contains(Executors, e) {
			return fmt.Errorf("latency: unknown executor %q (want some of %v)", e, Executors)
		}
	}
	for _, l := range cfg.Loads {
		if !(l > 0 && l <= 10) {
			return fmt.Errorf("latency: load %v is not a fraction of capacity in (0, 10]", l)
		}
	}
	allowed, err := AllowedCPUs()
	if err != nil {
		return err
	}
	for _, c := range []int{cfg.ExecCPU, cfg.GenCPU} {
		if !slices.Contains(allowed, c) {
			return fmt.Errorf("latency: CPU %d is not in this process's affinity mask %v", c, allowed)
		}
	}
	if cfg.ExecCPU == cfg.GenCPU && !cfg.AllowSharedCPU {
		return fmt.Errorf("latency: the executor and the generator are both on CPU %d; they must not share a CPU", cfg.ExecCPU)
	}
	if cfg.MaxInflight < 1 {
		return fmt.Errorf("latency: MaxInflight %d; want at least 1", cfg.MaxInflight)
	}
	if cfg.RingCap <= 0 || cfg.RingCap&(cfg.RingCap-1) != 0 {
		return fmt.Errorf("latency: ring capacity %d is not a power of two", cfg.RingCap)
	}
	if cfg.MinShort < 1 || cfg.Duration <= 0 || cfg.LongFrac < 0 || cfg.LongFrac >= 1 {
		return fmt.Errorf("latency: bad sizes: min short %d, duration %v, long fraction %v", cfg.MinShort, cfg.Duration, cfg.LongFrac)
	}
	return nil
}

func (cfg *Config) logf(format string, args ...any) {
	if cfg.Log != nil {
		fmt.Fprintf(cfg.Log, format+"\n", args...)
	}
}

// Sweep runs every point of cfg and returns the results. While it runs,
// every thread of this process is bound to cfg.GenCPU; the previous mask
// is restored when it returns. The calling program must have called
// RunChildIfRequested at the start of main (or TestMain).
func Sweep(cfg Config) (*Results, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	var orig unix.CPUSet
	if err := unix.SchedGetaffinity(0, &orig); err != nil {
		return nil, err
	}
	// The template thread, which creates every new M once any thread is
	// locked, is started now, so that it too is on GenCPU after the pinning.
	runtime.LockOSThread()
	runtime.UnlockOSThread()
	if err := pinProcess(cfg.GenCPU); err != nil {
		return nil, err
	}
	defer pinProcessMask(&orig)
	// An explicit GOMAXPROCS stops Go from re-deriving it from the new
	// affinity mask (1 CPU): the generator's locked, spinning goroutine
	// holds one P, and the goroutines that watch the child need another.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))

	res := &Results{Started: time.Now(), Config: cfg, Machine: machineInfo(), Calibrations: map[string]*Calibration{}}
	res.Config.Log = nil
	for _, wl := range cfg.Workloads {
		cr, err := cfg.calibrate(wl)
		if err != nil {
			return nil, fmt.Errorf("latency: calibrating workload %s: %w", wl, err)
		}
		cal := &Calibration{Workload: wl, Spin: cr.Spin, Scan: cr.Scan}
		switch {
		case cr.Spin != nil:
			cal.MeanServiceNs = cr.Spin.MeanServiceNs(cfg.LongFrac)
		case cr.Scan != nil:
			cal.MeanServiceNs = cr.Scan.MeanServiceNs(cfg.LongFrac)
		}
		if !(cal.MeanServiceNs > 0) {
			return nil, fmt.Errorf("latency: calibration of workload %s measured no service time", wl)
		}
		cal.Capacity = 1e9 / cal.MeanServiceNs
		res.Calibrations[wl] = cal
		cfg.logf("workload %s calibration (CPU %d): %v", wl, cfg.ExecCPU, cal)

		for li, load := range cfg.Loads {
			rate := load * cal.Capacity
			n := max(int(math.Ceil(rate*cfg.Duration.Seconds())), int(math.Ceil(float64(cfg.MinShort)/(1-cfg.LongFrac))))
			// Common random numbers: every variant and executor of a load
			// sees the same arrivals.
			sched := NewSchedule(pointSeed(cfg.Seed, wl, li), rate, n, cfg.LongFrac)
			for _, v := range cfg.Variants {
				for _, ex := range cfg.Executors {
					ps := pointSpec{Workload: wl, Variant: v, Executor: ex, Load: load, Rate: rate, Sched: sched}
					pt, err := cfg.measure(ps, cal)
					if err != nil {
						// One broken point (a child that crashed or hung) must
						// not throw away the rest of the sweep: record it.
						cfg.logf("%s %-6s %-16s %4.0f%%  FAILED: %v", wl, v, ex, 100*load, err)
						pt = &Point{Workload: wl, Variant: v, Executor: ex, Load: load, Rate: rate, Requests: n, Error: err.Error(),
							Short: Percentiles{P50: Inf, P99: Inf, P999: Inf, Max: Inf}, All: Percentiles{P50: Inf, P99: Inf, P999: Inf, Max: Inf}}
					}
					res.Points = append(res.Points, pt)
					cfg.logf("%s", pt.line())
				}
			}
		}
	}
	return res, nil
}

// measure runs a point, again while it is disturbed (see MinShare), and
// returns the least disturbed run.
func (cfg *Config) measure(ps pointSpec, cal *Calibration) (*Point, error) {
	var best *Point
	for attempt := 1; attempt <= 1+max(cfg.Retries, 0); attempt++ {
		t0 := time.Now()
		if cfg.QuietWait > 0 && cfg.spent < cfg.QuietBudget {
			cfg.waitQuiet()
		}
		pt, err := cfg.runPoint(ps, cal)
		if err != nil {
			return nil, err
		}
		if attempt > 1 {
			cfg.spent += time.Since(t0) // a retry is budgeted whole
		} else {
			cfg.spent += time.Since(t0) - time.Duration(pt.WallSeconds*float64(time.Second))
		}
		if best == nil || cfg.better(pt, best) {
			best = pt
		}
		best.Attempts = attempt
		if !cfg.disturbed(best) || attempt > cfg.Retries {
			break
		}
		if cfg.spent >= cfg.QuietBudget {
			cfg.logf("  (disturbed, but the sweep's budget of %v for waiting and retries is spent: keeping it)", cfg.QuietBudget)
			break
		}
		cfg.logf("  (disturbed: executor got %.0f%% of its CPU, generator %.0f%%, generator late by %s at p99; measuring again)",
			100*pt.ExecShare, 100*pt.GenShare, fmtNs(pt.GenLateP99))
	}
	return best, nil
}

// share is the lesser of the point's two CPU shares.
func (pt *Point) share() float64 { return min(pt.ExecShare, pt.GenShare) }

// disturbed reports whether another process visibly took CPU time from
// the point: a CPU share under MinShare, or a generator late by more than
// MaxGenLate at p99.
func (cfg *Config) disturbed(pt *Point) bool {
	return pt.share() < cfg.MinShare || (cfg.MaxGenLate > 0 && pt.GenLateP99 > cfg.MaxGenLate.Nanoseconds())
}

// better reports whether run a of a point is less disturbed than run b:
// undisturbed first, then the higher CPU share.
func (cfg *Config) better(a, b *Point) bool {
	if da, db := cfg.disturbed(a), cfg.disturbed(b); da != db {
		return !da
	}
	return a.share() > b.share()
}

// pointSeed derives a load point's schedule seed.
func pointSeed(seed uint64, workload string, loadIndex int) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s/%d", seed, workload, loadIndex)
	return h.Sum64()
}

func pinProcessMask(set *unix.CPUSet) {
	tids, err := threadIDs()
	if err != nil {
		return
	}
	for _, tid := range tids {
		unix.SchedSetaffinity(tid, set)
	}
}

// line is a point's progress line.
func (pt *Point) line() string {
	return fmt.Sprintf("%s %-6s %-16s %4.0f%%  offered %7.0f/s achieved %7.0f/s  short p50 %s p99 %s p99.9 %s  all p99 %s  dropped %d unfinished %d  gen-late p99 %s  cpu exec %.0f%% gen %.0f%%  [%.1fs]",
		pt.Workload, pt.Variant, pt.Executor, 100*pt.Load, pt.Offered, pt.Achieved,
		fmtNs(pt.Short.P50), fmtNs(pt.Short.P99), fmtNs(pt.Short.P999), fmtNs(pt.All.P99),
		pt.Dropped, pt.Unfinished, fmtNs(pt.GenLateP99), 100*pt.ExecShare, 100*pt.GenShare, pt.WallSeconds)
}

// fmtNs prints a latency in the unit that keeps 3 significant digits.
func fmtNs(ns int64) string {
	switch {
	case ns == Inf:
		return "inf"
	case ns < 1_000:
		return fmt.Sprintf("%dns", ns)
	case ns < 1_000_000:
		return fmt.Sprintf("%.3gµs", float64(ns)/1e3)
	case ns < 1_000_000_000:
		return fmt.Sprintf("%.3gms", float64(ns)/1e6)
	}
	return fmt.Sprintf("%.3gs", float64(ns)/1e9)
}

// machineInfo records what the numbers were measured on.
func machineInfo() map[string]string {
	m := map[string]string{
		"go":   runtime.Version(),
		"cpus": fmt.Sprint(runtime.NumCPU()),
		"os":   runtime.GOOS + "/" + runtime.GOARCH,
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		m["kernel"] = unix.ByteSliceToString(u.Release[:])
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m["cpu"] = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}
