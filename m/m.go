package m

import (
	"fmt"
	"runtime"
	"sync/atomic"

	"github.com/usched/usched/g"
	"github.com/usched/usched/p"
	"github.com/usched/usched/preempt"
	"github.com/usched/usched/steal"
)

// M is a machine: one locked, pinned OS thread running the scheduler loop
// on the P it holds.
//
// Access rules: th.Preempt and the slot are shared with the watcher (see
// package preempt); park and remote are shared (see their comments);
// spinning is written by the M itself, or by wakep under s.idleMu while
// the M is on the idle list; the escalation fields say who writes them;
// everything else is owned by the M's thread.
type M struct {
	th  g.Thread // the record its Gs reach through g.ThreadOf; th.Sched is this M
	s   *Sched
	pp  *p.P
	id  int
	cpu atomic.Int32 // CPU this M is pinned to; -1 when unpinned. Changes only for a spare, on activation

	tid atomic.Int32 // OS thread ID, set once the M has started

	// park is the futex word: 0 running, 1 parked (or about to), 2
	// notified. The M stores 1 and 0; wakers CAS 1 to 2.
	park atomic.Uint32

	spinning bool // see the access rules above

	remote p.MPSC // resume queue: Gs readied by other threads; only this M pops
	local  p.FIFO // resume queue: Gs readied (or yielded) by this M itself

	// The coroutine star; only this M's thread touches these.
	cur     *coro   // the coroutine running now; set by base before each switch
	pool    []*coro // idle scheduler coroutines
	handoff *g.G    // unstarted G for the coroutine base resumes next
	after   *coro   // where to switch when a coroutine returned instead of pooling itself
	out     msg     // a coroutine's request to base, set just before it yields
	exiting bool    // set by base on msgExit: resumed coroutines return

	// Completions of doneGrp's children that finished on this M and are
	// not yet subtracted from its count; see finish and flushDone.
	doneGrp *g.GroupState
	doneN   int64
	// spawnRun counts the Gs spawned by the running G since it last
	// started or resumed (approximately: inline children reset it); see
	// Spawn. The M keeps no pointer to the running G: storing one twice
	// per G cost two GC write barriers on the hottest path, and nothing
	// needs it yet.
	spawnRun uint32

	batch  [globalBatchMax]*g.G // scratch for takeGlobal; owner-only, empty between calls
	nbatch int
	tick   uint32
	// fairNext is set by a yield or a preemption: the next scheduling
	// round has afterYield set, and the policy lets the global queue go
	// before the yielded G; owner-only.
	fairNext bool
	// afterYield is set during the scheduling round that follows a yield
	// or a preemption (policies read it); owner-only.
	afterYield bool
	rnd        steal.Rand
	order      steal.RandomOrder

	// Preemption (see preempt.go and spare.go).
	slotIdx int           // this M's row of the watcher's table
	slot    *preempt.Slot // that row
	seq     uint64        // identity of the G running now; published in slot.Seq
	boundGs int           // Gs suspended on this M (their stacks are its coroutines)
	timers  timerHeap     // sleeping Gs (owner-only); see timers.go
	// esc is the spare M serving this M's CPU while this M's G overruns;
	// set by escalate and cleared by this M (both under s.spareMu).
	esc     atomic.Pointer[M]
	demoted atomic.Bool              // this M's thread runs at nice 19; set by escalate, cleared by this M
	trace   atomic.Pointer[traceBuf] // set while a trace runs (trace.go)
	// Spare Ms only.
	spare   bool
	active  atomic.Bool // out of the pool: set by escalate, cleared by retire
	recall  atomic.Bool // the partner is back: retire when nothing is bound here
	serving bool        // owner-only: took over since it last left the pool (sparePark ran)
	partner *M          // protected by s.spareMu: the M whose CPU this spare serves
}

func newM(s *Sched, id int, pp *p.P, cpu int, slot int) *M {
	mp := &M{s: s, id: id, pp: pp, slotIdx: slot}
	mp.cpu.Store(int32(cpu))
	mp.slot = s.watcher.Table().Slot(slot)
	mp.th.Preempt = mp.slot.PreemptWord()
	mp.th.Sched = mp
	mp.remote.Init()
	mp.rnd = steal.NewRand(uint64(id)*0x9E3779B97F4A7C15 + 1)
	mp.order.Reset(uint32(len(s.ps)))
	return mp
}

// TID returns the M's OS thread ID (0 before it started).
func (mp *M) TID() int { return int(mp.tid.Load()) }

// CPU returns the CPU the M is pinned to, or -1.
func (mp *M) CPU() int { return int(mp.cpu.Load()) }

// base is the M's goroutine B: it locks and pins the thread, then drives
// the coroutine star until the runtime stops. It reports the start-up
// result on started.
func (mp *M) base(started chan<- error) {
	// Never unlocked: when base returns, Go terminates the thread, so a
	// thread with our CPU affinity never goes back to Go's pool.
	runtime.LockOSThread()
	if isMainThread() {
		// Go never terminates the main thread: it would park it forever,
		// pinned. Hold it until another goroutine has locked a different
		// thread for this M, then give it back untouched.
		locked := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			close(locked)
			mp.base(started)
		}()
		<-locked
		runtime.UnlockOSThread()
		return
	}
	defer mp.s.exited.Done()
	mp.tid.Store(int32(gettid()))
	if cpu := mp.CPU(); cpu >= 0 {
		if err := pin(cpu); err != nil {
			started <- fmt.Errorf("usched: pinning M %d to CPU %d: %w", mp.id, cpu, err)
			return
		}
	}
	if err := mp.s.watcher.Watch(mp.slotIdx, gettid()); err != nil {
		started <- fmt.Errorf("usched: watching M %d for preemption: %w", mp.id, err)
		return
	}
	started <- nil
	co := mp.newCoro()
	for {
		mp.cur = co
		_, ok := co.next()
		out := mp.out
		mp.out = msg{}
		if !ok {
			// The coroutine returned rather than join a full pool; it
			// left its successor in mp.after.
			co, mp.after = mp.after, nil
			continue
		}
		switch out.kind {
		case msgResume:
			co = out.co
		case msgFresh:
			mp.handoff = out.gp
			co = mp.freshCoro()
		case msgExit:
			// Resume every idle coroutine, and the one that asked, with
			// exiting set: each returns from its loop and its goroutine
			// ends.
			mp.exiting = true
			for _, c := range mp.pool {
				c.next()
			}
			mp.pool = nil
			co.next()
			return
		}
	}
}
