package latency

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// ChildEnv is the environment variable that turns the binary into a
// child: it holds the child's spec as JSON. A program that runs Sweep must
// call RunChildIfRequested first thing in main (and a test binary in
// TestMain), since the parent starts its children by running its own
// executable again.
const ChildEnv = "USCHED_LATENCY_CHILD"

// resultPrefix starts the one stdout line in which a child reports back.
const resultPrefix = "LATENCY-CHILD-RESULT "

// childShmFD is the shared region's memfd in the child (os/exec's
// ExtraFiles start at fd 3).
const childShmFD = 3

// childSpec tells a child what to do. Mode "calibrate" measures the
// workload on the executor CPU and reports the calibration; mode "serve"
// runs one executor for one point.
type childSpec struct {
	Mode     string  `json:"mode"`
	Workload string  `json:"workload"`
	Variant  Variant `json:"variant"`
	Executor string  `json:"executor"`
	ExecCPU  int     `json:"exec_cpu"`

	// calibrate
	ShortUs    float64 `json:"short_us"`
	LongUs     float64 `json:"long_us"`
	ScanTarget float64 `json:"scan_target"`
	CalibGets  int     `json:"calib_gets"`

	// serve
	RingCap int              `json:"ring_cap"`
	N       int              `json:"n"`
	Spin    *SpinCalibration `json:"spin,omitempty"`
	Scan    *ScanCalibration `json:"scan,omitempty"`
	Drain   time.Duration    `json:"drain"`
	Quantum time.Duration    `json:"quantum"` // usched's Config.Quantum
	// MaxInflight bounds requests taken from the ring and not yet served.
	MaxInflight int `json:"max_inflight"`

	KV KVConfig `json:"kv"`
}

// childResult is what a child reports on its result line.
type childResult struct {
	Spin      *SpinCalibration `json:"spin,omitempty"`
	Scan      *ScanCalibration `json:"scan,omitempty"`
	Received  uint64           `json:"received"`
	Completed uint64           `json:"completed"`
	SetupMs   float64          `json:"setup_ms"`
	NumGC     uint32           `json:"num_gc"` // GC cycles during the measurement
	// CPUShare is the child's CPU time over wall time from ready to the
	// last arrival. Its receiver polls, so alone on its CPU it is about 1;
	// less means another process took the executor CPU during the point.
	CPUShare float64           `json:"cpu_share"`
	Info     map[string]string `json:"info,omitempty"`
}

// RunChildIfRequested runs the child and exits when ChildEnv is set, and
// returns at once otherwise.
func RunChildIfRequested() {
	js, ok := os.LookupEnv(ChildEnv)
	if !ok {
		return
	}
	var spec childSpec
	if err := json.Unmarshal([]byte(js), &spec); err != nil {
		fatalf("bad %s: %v", ChildEnv, err)
	}
	res, err := runChild(spec)
	if err != nil {
		fatalf("%v", err)
	}
	out, err := json.Marshal(res)
	if err != nil {
		fatalf("%v", err)
	}
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(w, "%s%s\n", resultPrefix, out)
	w.Flush()
	// Exit without closing the runtime: a G that never finished (a point
	// left unfinished at the drain deadline) would make Close wait forever,
	// and the parent has what it needs.
	os.Exit(0)
}

func runChild(spec childSpec) (*childResult, error) {
	// The parent forked this process from a thread bound to the executor
	// CPU, so every thread, the runtime's included, inherited that mask.
	if err := checkProcessOn(spec.ExecCPU); err != nil {
		return nil, err
	}
	runtime.LockOSThread() // calibration measures on this thread
	switch spec.Mode {
	case "calibrate":
		return calibrateChild(spec)
	case "serve":
		return serveChild(spec)
	}
	return nil, fmt.Errorf("unknown child mode %q", spec.Mode)
}

func calibrateChild(spec childSpec) (*childResult, error) {
	switch spec.Workload {
	case "a":
		c := CalibrateSpin(spec.ShortUs, spec.LongUs)
		return &childResult{Spin: &c}, nil
	case "b":
		kv, err := OpenKV(spec.KV)
		if err != nil {
			return nil, err
		}
		defer kv.Close()
		c, err := kv.CalibrateScan(spec.ScanTarget, spec.CalibGets)
		return &childResult{Scan: &c}, err
	}
	return nil, fmt.Errorf("unknown workload %q", spec.Workload)
}

func serveChild(spec childSpec) (*childResult, error) {
	t0 := time.Now()
	reg, err := mapRegion(childShmFD, spec.RingCap, spec.N)
	if err != nil {
		return nil, err
	}
	if reg.hdr.magic != shmMagic {
		return nil, fmt.Errorf("shared region has magic %#x, want %#x", reg.hdr.magic, shmMagic)
	}
	var w Workload
	switch spec.Workload {
	case "a":
		if spec.Spin == nil {
			return nil, fmt.Errorf("workload a without a spin calibration")
		}
		w = spec.Spin.Workload(spec.Variant)
	case "b":
		if spec.Scan == nil {
			return nil, fmt.Errorf("workload b without a scan calibration")
		}
		kv, err := OpenKV(spec.KV)
		if err != nil {
			return nil, err
		}
		kv.SetScan(*spec.Scan)
		w = kv.Workload(spec.Variant)
	default:
		return nil, fmt.Errorf("unknown workload %q", spec.Workload)
	}

	rc := newReceiver(reg, spec.MaxInflight)
	done := reg.done
	serve := func(r Request, chk Checker) {
		defer func() {
			if v := recover(); v != nil {
				fatalf("request %d (kind %d) panicked: %v", r.ID, r.Kind, v)
			}
		}()
		w.Serve(r.ID, r.Kind, chk)
		done[r.ID] = nanotime()
		rc.complete()
	}
	ex, err := newExecutor(spec.Executor, spec.ExecCPU, spec.Quantum, serve)
	if err != nil {
		return nil, err
	}
	runtime.UnlockOSThread() // the receiver needs no particular thread
	if err := checkProcessOn(spec.ExecCPU); err != nil {
		return nil, err
	}
	runtime.GC() // start the measurement with the set-up's garbage gone
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gc0 := ms.NumGC
	res := &childResult{SetupMs: float64(time.Since(t0).Microseconds()) / 1e3}

	ex.start(rc)
	c0, w0 := processCPUTime(), nanotime()
	reg.hdr.ready.Store(1)
	// Block, not poll: this goroutine must cost the executor CPU nothing
	// while the point runs.
	<-rc.received
	res.CPUShare = float64(processCPUTime()-c0) / float64(nanotime()-w0)
	res.Received = uint64(rc.target.Load())
	select {
	case <-rc.served:
	case <-time.After(spec.Drain):
	}
	res.Completed = uint64(rc.completed.Load())
	runtime.ReadMemStats(&ms)
	res.NumGC = ms.NumGC - gc0
	res.Info = ex.info()
	return res, nil
}

// parseChildResult finds the result line in a child's stdout.
func parseChildResult(stdout []byte) (*childResult, error) {
	for line := range bytes.Lines(stdout) {
		if rest, ok := bytes.CutPrefix(line, []byte(resultPrefix)); ok {
			var res childResult
			if err := json.Unmarshal(rest, &res); err != nil {
				return nil, fmt.Errorf("latency: child result %q: %w", rest, err)
			}
			return &res, nil
		}
	}
	return nil, fmt.Errorf("latency: child printed no result line; stdout:\n%s", stdout)
}

// processCPUTime returns the CPU time of this process, all threads, in ns.
func processCPUTime() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

// threadCPUTime returns the CPU time of the calling thread in ns.
func threadCPUTime() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}
