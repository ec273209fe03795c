package latency

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuTicks reads the busy and total ticks of each CPU from /proc/stat.
func cpuTicks() (busy, total map[int]uint64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil, nil, err
	}
	busy, total = map[int]uint64{}, map[int]uint64{}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) < 5 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		cpu, err := strconv.Atoi(f[0][3:])
		if err != nil {
			continue
		}
		for i, s := range f[1:] {
			v, _ := strconv.ParseUint(s, 10, 64)
			total[cpu] += v
			if i != 3 && i != 4 { // idle, iowait
				busy[cpu] += v
			}
		}
	}
	return busy, total, nil
}

// cpuBusy returns the busy fraction of each of cpus over the next d.
func cpuBusy(d time.Duration, cpus ...int) ([]float64, error) {
	b0, t0, err := cpuTicks()
	if err != nil {
		return nil, err
	}
	time.Sleep(d)
	b1, t1, err := cpuTicks()
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(cpus))
	for i, c := range cpus {
		if dt := t1[c] - t0[c]; dt > 0 {
			out[i] = float64(b1[c]-b0[c]) / float64(dt)
		}
	}
	return out, nil
}

// waitQuiet waits, at most cfg.QuietWait, until the executor and generator
// CPUs are both at most 10% busy over 200 ms: between points this sweep
// runs nothing, so anything busy there is another process that would take
// CPU time from the next point. It returns what it saw last.
func (cfg *Config) waitQuiet() string {
	deadline := time.Now().Add(cfg.QuietWait)
	logged := false
	for {
		busy, err := cpuBusy(200*time.Millisecond, cfg.ExecCPU, cfg.GenCPU)
		if err != nil {
			return err.Error()
		}
		seen := fmt.Sprintf("CPU %d %.0f%% busy, CPU %d %.0f%% busy", cfg.ExecCPU, 100*busy[0], cfg.GenCPU, 100*busy[1])
		if max(busy[0], busy[1]) <= 0.10 || !time.Now().Before(deadline) {
			return seen
		}
		if !logged {
			cfg.logf("  (waiting up to %v for the machine to quiet down: %s)", time.Until(deadline).Round(time.Second), seen)
			logged = true
		}
		time.Sleep(300 * time.Millisecond)
	}
}
