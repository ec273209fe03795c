package latency

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/usched/usched"
)

// Executor names, as the -executors flag spells them.
const (
	ExecUsched     = "usched"           // usched, preemption on (quantum 50 µs, watcher Auto)
	ExecUschedOff  = "usched-nopreempt" // usched, Preempt: PreemptOff
	ExecGoroutines = "goroutines"       // one goroutine per request
	ExecPool       = "pool"             // FIFO pool: GOMAXPROCS workers reading a channel
	// ExecCentralized is usched with the Centralized (Shinjuku) policy and
	// preemption on, at the same quantum as ExecUsched.
	ExecCentralized = "usched-centralized"
)

// Executors lists every executor in report order.
var Executors = []string{ExecUsched, ExecCentralized, ExecUschedOff, ExecGoroutines, ExecPool}

// Quantum is the usched quantum of the experiment (Config.Quantum's
// default).
const Quantum = 50 * time.Microsecond

// executor runs requests. Each executor runs the receiver as one of its
// own tasks, which polls the ring and yields to the executor's other tasks
// between polls:
//
//   - goroutines and pool: a goroutine that submits (go, or a channel
//     send) and calls runtime.Gosched between polls; with GOMAXPROCS 1 it
//     runs when Go's scheduler gives it its turn, as a netpoller would
//     deliver requests to a Go server;
//   - usched: a G that spawns each request with G.Go and calls G.Yield
//     between polls, so it is one of the P's runnable Gs, and a preempted
//     long G lets it run.
//
// Why not a receiver goroutine that blocks when the ring is empty and
// submits to usched with Runtime.Go (the first design tried)? Its thread
// and usched's M are two kernel threads on the one executor CPU: every
// request then costs a wake-up of the receiver's thread, a context switch
// to it and back, and often a futex wake of the parked M, and while the M
// runs a G the receiver waits for the kernel to preempt the M (CFS and
// EEVDF let the running thread finish a slice of about a millisecond).
// Measured that way at 70% of workload A's capacity, usched without
// preemption saturated (88k of 93k requests/s served, short p50 11 ms)
// where goroutines served everything at p50 268 µs: the experiment then
// measured the kernel's thread switching, not the executors. A polling
// receiver inside each executor costs every executor its own scheduler's
// task switch and nothing else, and keeps the executor CPU busy, so no
// request pays for waking a halted vCPU either.
type executor interface {
	// start launches the receiver task on the executor.
	start(rc *receiver)
	// info describes the executor as started (GOMAXPROCS, the preemption
	// watcher in force).
	info() map[string]string
}

// serveFunc serves one request with the given poll and records it done.
type serveFunc func(r Request, chk Checker)

// newExecutor starts the named executor on the (single) CPU cpu.
func newExecutor(name string, cpu int, quantum time.Duration, serve serveFunc) (executor, error) {
	switch name {
	case ExecUsched, ExecUschedOff, ExecCentralized:
		cfg := usched.Config{Procs: 1, CPUs: []int{cpu}, Quantum: quantum}
		switch name {
		case ExecUschedOff:
			cfg.Preempt = usched.PreemptOff
		case ExecCentralized:
			cfg.Policy = usched.Centralized
		}
		rt, err := usched.New(cfg)
		if err != nil {
			return nil, err
		}
		return &uschedExec{rt: rt, cfg: cfg, serve: serve}, nil
	case ExecGoroutines:
		runtime.GOMAXPROCS(1)
		return goroutineExec{serve: serve}, nil
	case ExecPool:
		runtime.GOMAXPROCS(1)
		return newPool(runtime.GOMAXPROCS(0), serve), nil
	}
	return nil, fmt.Errorf("latency: unknown executor %q (want one of %v)", name, Executors)
}

// uschedExec runs the receiver as a root G (submitted once with
// Runtime.Go); it spawns each request as a G on its P. The request's G
// passes itself as the Checker, so a cooperative long request polls with
// G.Check.
type uschedExec struct {
	rt    *usched.Runtime
	cfg   usched.Config
	serve serveFunc
}

func (e *uschedExec) start(rc *receiver) {
	serve := e.serve
	e.rt.Go(func(gp *usched.G) {
		submit := func(r Request) {
			gp.Go(func(c *usched.G) { serve(r, c) })
		}
		for !rc.poll(submit) {
			gp.Yield()
		}
		rc.finish()
	})
}

func (e *uschedExec) info() map[string]string {
	m := map[string]string{
		"config":     fmt.Sprintf("Procs %d, CPUs %v, Quantum %v, Preempt %v, Policy %v", e.cfg.Procs, e.cfg.CPUs, e.cfg.Quantum, e.cfg.Preempt, e.cfg.Policy),
		"GOMAXPROCS": fmt.Sprint(runtime.GOMAXPROCS(0)),
	}
	for k, v := range preemptStats(e.rt.Stats()) {
		m[k] = v
	}
	return m
}

// goroutineExec starts one goroutine per request; Go's scheduler (its
// runnext slot, its FIFO run queues, and its 10 ms signal-based
// preemption) decides the order.
type goroutineExec struct{ serve serveFunc }

func (e goroutineExec) start(rc *receiver) {
	serve := e.serve
	submit := func(r Request) { go serve(r, noCheck{}) }
	go func() {
		for !rc.poll(submit) {
			runtime.Gosched()
		}
		rc.finish()
	}()
}

func (e goroutineExec) info() map[string]string {
	return map[string]string{"GOMAXPROCS": fmt.Sprint(runtime.GOMAXPROCS(0))}
}

// poolExec is a FIFO pool: workers goroutines take requests from one
// buffered channel in arrival order and run each to completion.
type poolExec struct {
	ch      chan Request
	workers int
}

// poolQueue is the channel's capacity: far more than any backlog of a
// point, so that the receiver never blocks on a full pool.
const poolQueue = 1 << 20

func newPool(workers int, serve serveFunc) *poolExec {
	e := &poolExec{ch: make(chan Request, poolQueue), workers: workers}
	for range workers {
		go func() {
			for r := range e.ch {
				serve(r, noCheck{})
			}
		}()
	}
	return e
}

func (e *poolExec) start(rc *receiver) {
	submit := func(r Request) { e.ch <- r }
	go func() {
		for !rc.poll(submit) {
			runtime.Gosched()
		}
		rc.finish()
	}()
}

func (e *poolExec) info() map[string]string {
	return map[string]string{"GOMAXPROCS": fmt.Sprint(runtime.GOMAXPROCS(0)), "workers": fmt.Sprint(e.workers)}
}

// fatalf ends the child: a broken experiment must not look like a slow
// one.
func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "latency child: "+format+"\n", args...)
	os.Exit(1)
}
