package latency

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"time"
)

// pointSpec is one measurement: a workload and variant on an executor at
// one offered load.
type pointSpec struct {
	Workload string
	Variant  Variant
	Executor string
	Load     float64 // fraction of capacity
	Rate     float64 // requests per second
	Sched    Schedule
}

// Point is one measurement's result. Latencies are in ns.
type Point struct {
	Workload string  `json:"workload"`
	Variant  Variant `json:"variant"`
	Executor string  `json:"executor"`
	Load     float64 `json:"load"`        // offered load as a fraction of capacity
	Rate     float64 `json:"target_rps"`  // the Poisson rate asked for
	Offered  float64 `json:"offered_rps"` // requests / schedule duration, as drawn
	Achieved float64 `json:"achieved_rps"`

	Requests   int `json:"requests"`
	Long       int `json:"long_requests"`
	Dropped    int `json:"dropped"`    // ring full: never pushed
	Unfinished int `json:"unfinished"` // pushed, not completed by the drain deadline

	Short Percentiles `json:"short"`
	All   Percentiles `json:"all"`
	LongP Percentiles `json:"long"`

	// GenLate is how late the generator pushed requests after their
	// intended time: its p99 and max say whether the generator kept up.
	GenLateP99 int64 `json:"gen_late_p99_ns"`
	GenLateMax int64 `json:"gen_late_max_ns"`

	// ExecShare and GenShare are the CPU time the executor process and the
	// generator thread got over the point's wall time: about 1 each on a
	// quiet machine. Less means another process ran on their CPU; such a
	// point is measured again (Config.Retries) and the least disturbed
	// run kept. Attempts counts the runs.
	ExecShare float64 `json:"exec_cpu_share"`
	GenShare  float64 `json:"gen_cpu_share"`
	Attempts  int     `json:"attempts"`

	// Error says why the point could not be measured (its numbers are
	// then empty); the sweep goes on with the next point.
	Error string `json:"error,omitempty"`

	ChildSetupMs float64           `json:"child_setup_ms"`
	ChildGCs     uint32            `json:"child_gcs"`
	Info         map[string]string `json:"info,omitempty"`
	WallSeconds  float64           `json:"wall_s"`
}

// startPinned starts cmd from an OS thread bound to cpu, so that the child
// process, all of whose threads descend from the forking one, starts and
// stays on cpu. The thread is locked and never unlocked: it exits with the
// goroutine, taking its changed mask along, and the parent's other threads
// stay on the generator CPU. (The runtime does not clone new Ms from a
// locked thread; it asks its template thread, created before any pinning
// here, to do so.)
func startPinned(cmd *exec.Cmd, cpu int) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := pinThread(cpu); err != nil {
			errc <- err
			return
		}
		errc <- cmd.Start()
	}()
	return <-errc
}

// runChildProcess starts a child with spec, the given extra files, and
// returns a channel that receives its exit error and its stdout.
type childProc struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	exited chan error
}

func startChild(spec childSpec, files []*os.File) (*childProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	js, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	cp := &childProc{exited: make(chan error, 1)}
	cp.cmd = exec.Command(self)
	cp.cmd.Env = append(os.Environ(), ChildEnv+"="+string(js))
	cp.cmd.Stdout = &cp.stdout
	cp.cmd.Stderr = os.Stderr
	cp.cmd.ExtraFiles = files
	// No Pdeathsig: it fires when the forking thread exits, and
	// startPinned's thread exits at once. An interrupted sweep's child gets
	// the terminal's signal with its process group.
	if err := startPinned(cp.cmd, spec.ExecCPU); err != nil {
		return nil, fmt.Errorf("latency: starting the child: %w", err)
	}
	go func() { cp.exited <- cp.cmd.Wait() }()
	return cp, nil
}

// wait waits for the child to exit, killing it after timeout, and returns
// its result line.
func (cp *childProc) wait(timeout time.Duration) (*childResult, error) {
	select {
	case err := <-cp.exited:
		if err != nil {
			return nil, fmt.Errorf("latency: child: %w", err)
		}
	case <-time.After(timeout):
		cp.cmd.Process.Kill()
		<-cp.exited
		return nil, fmt.Errorf("latency: child still running after %v; killed", timeout)
	}
	return parseChildResult(cp.stdout.Bytes())
}

// calibrate runs a calibration child for one workload.
func (cfg *Config) calibrate(workload string) (*childResult, error) {
	cp, err := startChild(childSpec{
		Mode: "calibrate", Workload: workload, ExecCPU: cfg.ExecCPU,
		ShortUs: cfg.ShortUs, LongUs: cfg.LongUs, ScanTarget: cfg.ScanRatio, CalibGets: cfg.CalibGets,
		KV: cfg.KV,
	}, nil)
	if err != nil {
		return nil, err
	}
	return cp.wait(5 * time.Minute)
}

// runPoint measures one point: it starts the child, waits until it is
// ready, generates the schedule's arrivals on this (locked, pinned)
// thread, waits for the child to drain and exit, and computes the
// latencies from the shared done[] array.
func (cfg *Config) runPoint(ps pointSpec, cal *Calibration) (*Point, error) {
	wall := time.Now()
	n := len(ps.Sched.Offsets)
	reg, memf, err := createRegion(cfg.RingCap, n)
	if err != nil {
		return nil, err
	}
	defer reg.unmap()
	defer memf.Close()

	spec := childSpec{
		Mode: "serve", Workload: ps.Workload, Variant: ps.Variant, Executor: ps.Executor,
		ExecCPU: cfg.ExecCPU, RingCap: cfg.RingCap, N: n, Drain: cfg.Drain, MaxInflight: cfg.MaxInflight, Quantum: cfg.Quantum,
		Spin: cal.Spin, Scan: cal.Scan, KV: cfg.KV,
	}
	cp, err := startChild(spec, []*os.File{memf})
	if err != nil {
		return nil, err
	}
	readyBy := time.Now().Add(5 * time.Minute)
	for reg.hdr.ready.Load() == 0 {
		select {
		case err := <-cp.exited:
			return nil, fmt.Errorf("latency: child exited before it was ready: %v\nstdout:\n%s", err, cp.stdout.Bytes())
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(readyBy) {
			cp.cmd.Process.Kill()
			return nil, fmt.Errorf("latency: child not ready after 5 minutes")
		}
	}

	intended, late, dropped, genShare := cfg.generate(reg, ps.Sched)

	res, err := cp.wait(cfg.Drain + time.Minute)
	if err != nil {
		return nil, err
	}
	// A child forked from a pinned thread must not have left a thread of
	// ours on the executor CPU; re-pin if the runtime surprised us.
	if err := checkProcessOn(cfg.GenCPU); err != nil {
		if err := pinProcess(cfg.GenCPU); err != nil {
			return nil, err
		}
	}
	pt := summarize(ps, intended, late, dropped, reg.done)
	pt.ChildSetupMs, pt.ChildGCs, pt.Info = res.SetupMs, res.NumGC, res.Info
	pt.ExecShare, pt.GenShare = res.CPUShare, genShare
	if uint64(n-pt.Dropped) != res.Received {
		return nil, fmt.Errorf("latency: child received %d requests, the generator pushed %d", res.Received, n-pt.Dropped)
	}
	// done[] may hold more than the child counted: a request that finished
	// after the drain deadline, before the child exited, is served, late.
	if got := uint64(n - pt.Dropped - pt.Unfinished); got < res.Completed {
		return nil, fmt.Errorf("latency: child counted %d completions, done[] holds only %d", res.Completed, got)
	}
	pt.WallSeconds = time.Since(wall).Seconds()
	return pt, nil
}

// generate pushes the schedule's requests at their intended times from a
// locked thread bound to the generator CPU, and returns each request's
// intended time, how late it was pushed, and whether it was dropped (ring
// full). It busy-waits: a timer or a sleep would add its own wake-up
// latency (tens of µs here) to the schedule. The garbage collector is off
// while it runs, and the loop allocates nothing.
//
// Go preempts a goroutine that has run 10 ms, and a locked one pays a
// thread hand-off for it (tens of µs). So the loop yields by itself, at
// most every 2 ms and only when the next arrival is at least 200 µs away,
// which keeps that cost off the arrivals.
func (cfg *Config) generate(reg *region, sched Schedule) (intended, late []int64, dropped []bool, cpuShare float64) {
	n := len(sched.Offsets)
	intended = make([]int64, n)
	late = make([]int64, n)
	dropped = make([]bool, n)
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := pinThread(cfg.GenCPU); err != nil {
		panic(err) // the whole process is already on GenCPU; this cannot fail
	}

	hdr := reg.hdr
	prod := reg.ring.Producer()
	const (
		yieldEvery = 2_000_000 // ns
		yieldSlack = 200_000   // ns
	)
	c0, w0 := threadCPUTime(), nanotime()
	base := w0 + 1_000_000
	lastYield := base
	for i := range n {
		t := base + sched.Offsets[i]
		now := nanotime()
		if t-now > yieldSlack && now-lastYield > yieldEvery {
			runtime.Gosched()
			lastYield = nanotime()
		}
		for now < t {
			now = nanotime()
		}
		intended[i] = t
		if !prod.Push(Request{ID: uint64(i), Kind: sched.Kinds[i], Intended: t}) {
			dropped[i] = true
			continue
		}
		late[i] = nanotime() - t
	}
	cpuShare = float64(threadCPUTime()-c0) / float64(nanotime()-w0)
	sent := 0
	for _, d := range dropped {
		if !d {
			sent++
		}
	}
	hdr.sent.Store(uint64(sent))
	hdr.genDone.Store(1) // after the last push: the receiver may trust sent once it sees this

	return intended, late, dropped, cpuShare
}
