package m

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usched/usched/asm"
	"github.com/usched/usched/g"
	"github.com/usched/usched/p"
	"github.com/usched/usched/preempt"
)

// Sched is one runtime instance: its Ms and Ps, the global queue, the idle
// list and the accounting that Wait and Close rely on.
type Sched struct {
	// Read-mostly: set by New (closed and stopping once by Close) and
	// loaded by every M on its hot paths (Spawn and execute load closed,
	// Spawned ws and procs, thieves ps). They keep lines apart from every
	// word written while Ms run: beside the spin and idle counters, closed
	// cost fib 3% of its profile on 16 CPUs, a miss at each spawn whenever
	// an M had started or stopped spinning since.
	ms     []*M   // the Procs Ms: M i holds P i
	spares []*M   // spare Ms: spare j holds P procs+j
	allMs  []*M   // ms then spares; index == slot in the watcher's table
	ps     []*p.P // every P: the Procs Ps, then one per spare
	procs  int32
	pol    Policy
	// ws is pol when pol is the work-stealing policy, else nil: the
	// hottest calls (Spawned, Next, Yielded) test it and call it directly,
	// since an interface call there cost the tiny-task benchmark 12% (9 ns
	// a G).
	ws *workStealing
	// readier is pol when it wants to hear of remote wake-ups, else nil.
	readier  readier
	closed   atomic.Bool // set once by Close: no new Gs start
	stopping atomic.Bool // set by Close once quiescent: Ms exit
	_        [64]byte

	global p.Global   // the shared queue of the work-stealing and centralized policies
	free   p.FreePool // G descriptors exchanged between Ps
	_      [64]byte

	nspinning atomic.Int32 // Ms searching for work; see the parking essay in doc.go
	nidle     atomic.Int32 // len(idle); readable without idleMu
	idleMu    sync.Mutex
	idle      []*M // protected by idleMu: Ms parked or about to park

	stopped atomic.Bool   // set by Close once every M has exited
	epoch   atomic.Uint64 // incremented when an M leaves the idle list; see quiescent

	// Written by every Submit: a cache line of their own, apart from the
	// words the Ms write when they park and wake.
	_         [64]byte
	inflight  atomic.Int32  // Submit calls between their closed check and their push
	submitted atomic.Uint64 // Gs accepted by Submit
	_         [48]byte
	rejected  atomic.Uint64 // Submit calls refused after Close

	qwaiters atomic.Int32 // goroutines in waitQuiescent
	qmu      sync.Mutex
	qch      chan struct{} // protected by qmu: closed and replaced at each quiescence

	errMu      sync.Mutex
	errs       []error // protected by errMu: failures of root Gs since the last Wait
	rootNotRun int64   // protected by errMu: root Gs dropped by Close

	// Preemption: the watcher, the spare pool and the escalation counters.
	watcher         *preempt.Watcher
	spareMu         sync.Mutex
	sparePool       []*M         // protected by spareMu: spares not serving anyone
	nspare          atomic.Int32 // spares out of the pool (counted as Ms)
	escalations     atomic.Uint64
	spareMisses     atomic.Uint64 // escalations with no spare free
	blockHandoffs   atomic.Uint64 // hand-offs of Ms the sched_switch reporter saw block
	foreignPreempts atomic.Uint64 // Ms preempted by another process's thread, as reported
	ready           atomic.Bool   // set by New once allMs is built; escalate reads nothing before
	demotion        error         // why overrunning threads cannot be demoted; nil if they can
	spareProcs      int           // what serving spares add to the GOMAXPROCS sum (New adds Procs): min(spares, Procs)
	procsMu         sync.Mutex    // serializes raising and lowering the spares' share (spareprocs.go)
	spareProcsUp    atomic.Bool   // the spares' share is in the sum; changed under procsMu and spareMu
	lastServed      int64         // protected by spareMu: when the linger last started (startSpareLinger)
	lowerTimer      *time.Timer   // protected by spareMu: lowers the spares' share; nil until first armed
	watchMu         sync.RWMutex  // orders Snapshot's reads of the table with its unmapping
	watchDone       bool          // protected by watchMu: the watcher is closed
	watchFinal      [5]uint64     // protected by watchMu: its counters when it closed

	traceMu sync.Mutex
	tracing bool // protected by traceMu

	exited     sync.WaitGroup // one per M base goroutine
	start      time.Time      // origin of the sampled latency stamps
	spinCycles uint64         // spinTime in asm.Cycles units
}

// poolMax bounds an M's pool of idle scheduler coroutines.
const poolMax = 64

// ErrClosed is g.ErrClosed.
var ErrClosed = g.ErrClosed

// New starts an M per P, each locked to its thread and pinned as cfg says.
// It returns once every M has started (and pinned) or one has failed.
func New(cfg Config) (*Sched, error) {
	s := &Sched{procs: int32(cfg.Procs), qch: make(chan struct{}), start: time.Now()}
	s.spinCycles = uint64(asm.CyclesPerNanosecond() * float64(spinTime))
	s.global.Init()
	spares := cfg.Spares
	if cfg.Preempt == preempt.Off {
		spares = 0 // nothing escalates
	}
	nps := cfg.Procs + spares
	w, err := preempt.Start(preempt.Config{
		Mode: cfg.Preempt, Quantum: cfg.Quantum, Signal: cfg.Signal,
		Slots: nps, SysmonCPU: cfg.SysmonCPU, Escalate: s.escalate,
		Blocked: s.blocked, ForeignPreempted: s.foreignPreempted,
	})
	if err != nil {
		return nil, err
	}
	s.watcher = w
	if spares > 0 {
		if err := probeDemotion(); err != nil {
			s.demotion = fmt.Errorf("overrunning Ms are not demoted (restoring nice 0 needs CAP_SYS_NICE or RLIMIT_NICE >= 20): %w", err)
		}
	}
	// Every M holds one of Go's Ps while it runs, spares too, and at most
	// Procs spares serve at once (one per M); their share is added only
	// while they serve (spareprocs.go).
	s.spareProcs = min(spares, cfg.Procs)
	raiseGOMAXPROCS(cfg.Procs)
	s.ps = make([]*p.P, nps)
	for i := range nps {
		s.ps[i] = p.New(i, nps, &s.free)
	}
	s.ms = make([]*M, cfg.Procs)
	for i := range cfg.Procs {
		cpu := -1
		if cfg.CPUs != nil {
			cpu = cfg.CPUs[i]
		}
		s.ms[i] = newM(s, i, s.ps[i], cpu, i)
	}
	s.spares = make([]*M, spares)
	for j := range spares {
		i := cfg.Procs + j
		sp := newM(s, i, s.ps[i], -1, i)
		sp.spare = true
		s.spares[j] = sp
	}
	s.sparePool = slices.Clone(s.spares)
	s.allMs = append(slices.Clone(s.ms), s.spares...)
	if s.pol, err = newPolicy(s, cfg); err != nil {
		w.Close()
		releaseGOMAXPROCS(int(s.procs))
		return nil, err
	}
	s.ws, _ = s.pol.(*workStealing)
	s.readier, _ = s.pol.(readier)
	s.ready.Store(true) // publishes the Ms to escalate (the watcher started first)
	errc := make(chan error, nps)
	s.exited.Add(nps)
	for _, mp := range s.allMs {
		go mp.base(errc)
	}
	var errs []error
	for range nps {
		if err := <-errc; err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		s.closed.Store(true)
		s.stopping.Store(true)
		s.wakeAll()
		s.exited.Wait()
		w.Close()
		releaseGOMAXPROCS(int(s.procs))
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// slotM returns the M on slot i of the watcher's table.
func (s *Sched) slotM(i int) *M {
	if !s.ready.Load() || i < 0 || i >= len(s.allMs) {
		return nil
	}
	return s.allMs[i]
}

// now returns nanoseconds since the runtime started, from the monotonic
// clock. It costs a clock read (about 40 ns here): used only on sampled Gs.
func (s *Sched) now() int64 { return int64(time.Since(s.start)) + 1 }

// Submit queues fn as a root G of class c from outside the runtime. It
// returns ErrClosed after Close. Any goroutine.
func (s *Sched) Submit(fn func(*g.G), c g.Class) error {
	s.inflight.Add(1) // pairs with Close: store closed, then wait for inflight == 0
	if s.closed.Load() {
		s.inflight.Add(-1)
		s.rejected.Add(1)
		return ErrClosed
	}
	id := s.submitted.Add(1)
	var stamp int64
	if id%p.SampleEvery == 0 {
		stamp = s.now()
	}
	gp := new(g.G)
	g.Init(gp, fn, nil, stamp, c)
	s.pol.Submitted(gp)
	s.inflight.Add(-1)
	return nil
}

// Wait blocks until every G submitted or spawned so far has finished and
// returns the failures of root Gs (panics, Gs dropped by Close) since the
// previous Wait. It must not be called from a G.
func (s *Sched) Wait() error {
	s.waitQuiescent()
	return s.takeErr()
}

// Close stops the runtime. See the root package's Runtime.Close for the
// contract. It returns ErrClosed if called twice.
func (s *Sched) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	for s.inflight.Load() != 0 {
		runtime.Gosched() // a Submit is between its check and its push: a few instructions
	}
	s.wakeAll() // parked Ms re-check; queued Gs are dropped as not run
	s.waitQuiescent()
	s.stopping.Store(true)
	s.wakeAll()
	s.exited.Wait()
	for _, mp := range s.allMs {
		waitThreadGone(mp.TID())
	}
	werr := s.closeWatcher() // after the Ms: they wrote to its table until they exited
	s.stopped.Store(true)
	s.qmu.Lock()
	close(s.qch) // release concurrent Waits: no M is left to notify them
	s.qmu.Unlock()
	releaseGOMAXPROCS(int(s.procs) + s.releaseSpareProcs())
	if werr != nil {
		s.recordErr(fmt.Errorf("usched: stopping the preemption watcher: %w", werr))
	}
	return s.takeErr()
}

// OnM reports whether the caller runs on one of this runtime's M threads,
// that is, in a G. Wait and Close use it to refuse to block an M.
func (s *Sched) OnM() bool {
	tid := gettid()
	if tid == 0 {
		return false // no thread IDs on this system
	}
	for _, mp := range s.allMs {
		if mp.TID() == tid {
			return true
		}
	}
	return false
}

func (s *Sched) recordErr(err error) {
	s.errMu.Lock()
	s.errs = append(s.errs, err)
	s.errMu.Unlock()
}

func (s *Sched) recordRootNotRun() {
	s.errMu.Lock()
	s.rootNotRun++
	s.errMu.Unlock()
}

func (s *Sched) takeErr() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	errs := s.errs
	if s.rootNotRun > 0 {
		errs = append(errs, &g.NotRunError{Count: s.rootNotRun})
	}
	s.errs, s.rootNotRun = nil, 0
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// quiescent reports whether every G accounted so far has finished or been
// dropped. It trusts the Ps' published counters only while every M is
// idle (each publishes before going idle) and no M left the idle list
// during the reads (epoch unchanged): an M changes its counters only after
// leaving the idle list.
func (s *Sched) quiescent() bool {
	e := s.epoch.Load()
	if s.nidle.Load() != s.procs+s.nspare.Load() {
		return false
	}
	in := s.submitted.Load()
	var out uint64
	for _, pp := range s.ps {
		in += pp.C.Load(p.SpawnedGs)
		out += pp.C.Load(p.FinishedGs) + pp.C.Load(p.NotRunGs)
	}
	return in == out && s.nidle.Load() == s.procs+s.nspare.Load() && s.epoch.Load() == e
}

func (s *Sched) waitQuiescent() {
	s.qwaiters.Add(1)
	defer s.qwaiters.Add(-1)
	for {
		s.qmu.Lock()
		ch := s.qch
		s.qmu.Unlock()
		if s.stopped.Load() || s.quiescent() {
			return
		}
		<-ch
	}
}

// notifyQuiescent wakes waitQuiescent; called by the M whose parking made
// every M idle. Cheap when nobody waits.
func (s *Sched) notifyQuiescent() {
	if s.qwaiters.Load() == 0 {
		return
	}
	s.qmu.Lock()
	if s.stopped.Load() {
		s.qmu.Unlock()
		return // qch is closed for good
	}
	close(s.qch)
	s.qch = make(chan struct{})
	s.qmu.Unlock()
}

// wakeAll unparks every M; each re-checks the queues and the close state.
func (s *Sched) wakeAll() {
	for _, mp := range s.allMs {
		mp.unpark()
	}
}

// RecordRejected reports a Submit refused after Close to the next Wait, as
// a root G not run.
func (s *Sched) RecordRejected() { s.recordRootNotRun() }
