package m

import (
	"slices"
	"time"

	"github.com/usched/usched/asm"
	"github.com/usched/usched/g"
	"github.com/usched/usched/p"
)

const (
	// fairnessTicks: every this many scheduling rounds the M looks at its
	// resume queue and the global queue before its local deque (and
	// publishes its counters), so that neither starves behind a deque that
	// never empties. 61 as in Go's runtime: prime, so it does not beat
	// with periodic workloads.
	fairnessTicks = 61
	// spinTime is how long a spinning M keeps searching (stealing, and
	// watching its resume queue and the global queue) before it parks. A
	// futex wake costs the waker a system call and the wakee 5-20 µs here,
	// so a short spin catches the next spawn or wake-up of a busy runtime;
	// only a bounded number of Ms spin (maySpin), and then they park, so
	// an idle runtime costs nothing after it. 10, 50 and 5 µs measured the
	// same on the benchmarks; the shortest that does burns least on a
	// machine with more threads than CPUs.
	spinTime = 10 * time.Microsecond
	// spinPauses is how many PAUSEs a spinning M waits between passes over
	// the victims, so that it does not hammer their deques' cache lines.
	spinPauses = 32
	// overflowLen and overflowBatch: when a P's deque holds more than
	// overflowLen Gs and the global queue is short, its owner moves the
	// overflowBatch oldest to the global queue in one batch (Go's
	// runqputslow does the same when its runq is full). Stealing from a
	// deque that its owner is pushing to costs a cache-line transfer per G
	// on both sides (each Steal must re-read bottom, see package steal);
	// taking a batch from the global queue costs the thieves none of that,
	// and the spawning P keeps spawning instead of running the tasks it
	// made (measured: 108 -> 76 ns a task for a spawning loop on 2 Ps).
	overflowLen   = 256
	overflowBatch = p.BatchLen // 128
	// backpressureLen: a G that spawns while its P's deque holds more than
	// this many Gs, and the global queue already holds backpressureLen per
	// P, yields (see Spawn).
	backpressureLen = 1024
	// backpressureSpawns: only a G that spawned more than this many since
	// it last started or resumed counts as a spawning loop. Larger than
	// fairnessTicks, so that a loop resumed by the fairness check spawns
	// about as many Gs as its P ran meanwhile.
	backpressureSpawns = 64
	// doneBatchMax bounds how many completions of one Group an M defers
	// (see finish).
	doneBatchMax = 64
	// globalBatchMax bounds how many Gs one M takes from the global queue.
	globalBatchMax = 64
)

// findRunnable returns the next G for this M, in the order: runnext and
// local deque, resume queue, global queue, stealing, and otherwise parks
// until there is work. Every fairnessTicks the resume and global queues
// go first. It returns nil only when the runtime is stopping.
func (mp *M) findRunnable() *g.G {
	s, pp := mp.s, mp.pp
	if mp.spare && !mp.serving && !mp.sparePark() {
		return nil // a spare in the pool sleeps until escalate activates it
	}
	for {
		if mp.spare && mp.recall.Load() && mp.boundGs == 0 {
			// The M it served is back: leave at once rather than compete
			// with it for the CPU while work remains. Gs left on this
			// spare's P are stolen by the others (wakep).
			if mp.retire() {
				// It may have been the spinning M that made a submitter
				// skip its wakep (nspinning != 0): as Go's spinning M does
				// when it stops, look at every queue once more and hand
				// the search on.
				if s.anyWork(mp) {
					s.wakep()
				}
				if !mp.sparePark() {
					return nil
				}
			}
		}
		mp.tick++
		mp.afterYield, mp.fairNext = mp.fairNext, false
		fair := mp.tick%fairnessTicks == 0
		if fair {
			mp.flushDone()
			pp.C.Publish()
			if len(mp.timers) > 0 {
				mp.runTimers()
			}
		}
		if s.ws != nil {
			if gp := s.ws.Next(mp, fair); gp != nil { // devirtualized: see Sched.ws
				return mp.found(gp)
			}
		} else if gp := s.pol.Next(mp, fair); gp != nil {
			return mp.found(gp)
		}
		if s.stopping.Load() {
			mp.stopSpinning()
			return nil
		}
		mp.leaveSlice()
		if mp.spinning || s.maySpin() {
			if !mp.spinning {
				mp.spinning = true
				s.nspinning.Add(1)
			}
			if gp := mp.stealWork(); gp != nil {
				return mp.found(gp)
			}
		}
		if mp.spare && mp.recall.Load() && mp.boundGs == 0 {
			continue // retire at the top of the loop
		}
		mp.parkM()
	}
}

// found is the exit of findRunnable: a spinning M that found work stops
// spinning and, if it was the last spinner and more work is visible, wakes
// another, so that a burst fans out to idle Ms one at a time (Go's
// resetspinning). Waking only when more work is visible matters: a
// spinner that takes the one G a submitter just queued would otherwise
// wake the other M for nothing, a futex system call per G for both.
func (mp *M) found(gp *g.G) *g.G {
	if mp.spinning {
		mp.spinning = false
		s := mp.s
		if s.nspinning.Add(-1) == 0 && s.pol.Pending(mp) {
			s.wakep()
		}
	}
	return gp
}

func (mp *M) stopSpinning() {
	if mp.spinning {
		mp.spinning = false
		mp.s.nspinning.Add(-1)
	}
}

// takeResume returns the oldest G of the resume queue. Remote wake-ups are
// moved behind the local ones first, so that a G that keeps yielding
// cannot starve Gs readied by other threads.
func (mp *M) takeResume() *g.G {
	for gp := mp.remote.Pop(); gp != nil; gp = mp.remote.Pop() {
		mp.local.Push(gp)
	}
	gp := mp.local.Pop()
	if gp != nil {
		mp.pp.C.Inc(p.ResumedGs)
	}
	return gp
}

// drainResume passes every G of mp's resume queues to put, oldest first
// (for policies that keep their own order of resumed Gs). Two loads when
// both are empty, the usual case.
func (mp *M) drainResume(put func(*g.G)) {
	if mp.local.Len() == 0 && mp.remote.Idle() {
		return
	}
	for gp := mp.remote.Pop(); gp != nil; gp = mp.remote.Pop() {
		mp.local.Push(gp)
	}
	for gp := mp.local.Pop(); gp != nil; gp = mp.local.Pop() {
		put(gp)
	}
}

// idleChores is what an M does when its own queue ran dry, before it
// looks further: report deferred completions (whoever waits on that
// batch must hear of it now) and fire due timers.
func (mp *M) idleChores() {
	mp.flushDone()
	if len(mp.timers) > 0 {
		mp.runTimers()
	}
}

// overflowTo moves up to overflowBatch Gs, taken oldest first by takeN
// (one CAS on the deque's top for the batch: see steal.Deque.PopTopN), to
// q in one p.Batch, and wakes an M to take them (see overflowLen). The Gs
// go by value: their descriptors stay here, back on this P's free list.
func (mp *M) overflowTo(q *p.Global, takeN func(max int, fn func(*g.G)) int) {
	pp := mp.pp
	b := q.NewBatch()
	n := takeN(overflowBatch, func(gp *g.G) {
		b.Add(g.Save(gp))
		pp.FreeG(gp)
	})
	q.PutBatch(b) // an empty b is recycled
	if n == 0 {
		return
	}
	pp.C.Add(p.OverflowGs, uint64(n))
	mp.s.wakep()
}

// takeGlobalOne takes the oldest G of q, if any.
func (mp *M) takeGlobalOne(q *p.Global) *g.G {
	if q.Len() == 0 {
		return nil
	}
	gp, taken := q.Get(mp.pp, 1, nil)
	mp.pp.C.Add(p.GlobalPops, uint64(taken))
	return gp
}

// takeGlobalBatch takes a fair share of q (len/procs+1, as Go's
// globrunqget, at most globalBatchMax): one G to run, and the rest passed
// to pushN in one slice, newest first, so that an owner's LIFO pops run
// them oldest first: submissions from outside are requests, served in
// arrival order (a LIFO batch made the oldest request of a burst wait for
// all the others).
func (mp *M) takeGlobalBatch(q *p.Global, pushN func([]*g.G)) *g.G {
	n := q.Len()
	if n == 0 {
		return nil
	}
	max := min(int(n/int64(mp.s.procs)+1), globalBatchMax)
	gp, taken := q.Get(mp.pp, max, mp.spillGlobal)
	if mp.nbatch > 0 {
		rest := mp.batch[:mp.nbatch]
		slices.Reverse(rest)
		pushN(rest)
		clear(rest)
		mp.nbatch = 0
	}
	mp.pp.C.Add(p.GlobalPops, uint64(taken))
	return gp
}

// spillGlobal collects one G of a global batch (see takeGlobalBatch).
func (mp *M) spillGlobal(gp *g.G) {
	mp.batch[mp.nbatch] = gp
	mp.nbatch++
}

// eachVictim calls try with every other P, first (if not nil) before the
// rest in random order, until try returns a G, and returns it.
func (mp *M) eachVictim(first *p.P, try func(*p.P) *g.G) *g.G {
	if first != nil {
		if gp := try(first); gp != nil {
			return gp
		}
	}
	for e := mp.order.Start(mp.rnd.Uint32()); !e.Done(); e.Next() {
		victim := mp.s.ps[e.Position()]
		if victim == mp.pp || victim == first {
			continue
		}
		if gp := try(victim); gp != nil {
			return gp
		}
	}
	return nil
}

// stealWork makes passes over the other Ps (the policy's Steal), for up
// to spinTime. Between passes it looks at its own and the shared queues
// again (the policy's Next) and pauses briefly.
func (mp *M) stealWork() *g.G {
	s, pp := mp.s, mp.pp
	deadline := asm.Cycles() + s.spinCycles
	for {
		pp.C.Inc(p.Spins)
		if gp := s.pol.Steal(mp, mp.stealPartner()); gp != nil {
			return gp
		}
		if gp := s.pol.Next(mp, false); gp != nil {
			return gp
		}
		if s.stopping.Load() || asm.Cycles() > deadline {
			return nil
		}
		for range spinPauses {
			asm.Pause()
		}
	}
}

// countSteal accounts for n Gs stolen from P victim (a policy's Steal
// calls it).
func (mp *M) countSteal(victim, n int) {
	pp := mp.pp
	pp.C.Inc(p.Steals)
	pp.C.Add(p.StolenGs, uint64(n))
	pp.C.AddStolenFrom(victim, uint64(n))
	mp.traceSteal(victim, n)
}

// execute runs the unstarted gp inline on the current stack, recovers its
// panic, and accounts for it. After Close, gp is dropped as not run.
func (mp *M) execute(gp *g.G) {
	s, pp := mp.s, mp.pp
	if s.closed.Load() {
		mp.dropNotRun(gp)
		return
	}
	if mp.doneGrp != nil && g.GroupOf(gp) != mp.doneGrp {
		mp.flushDone() // deferred completions wait only while siblings run
	}
	pp.C.Inc(p.RanGs)
	if st := g.Stamp(gp); st != 0 {
		pp.Latency.Record(s.now() - st)
	}
	g.SetThread(gp, &mp.th)
	mp.spawnRun = 0
	mp.startSlice()
	if tb := mp.trace.Load(); tb != nil {
		mp.executeTraced(tb, gp)
		return
	}
	perr := run(gp)
	mp.spawnRun = 0
	mp.finish(gp, perr)
}

// executeTraced is the rest of execute while a trace runs.
func (mp *M) executeTraced(tb *traceBuf, gp *g.G) {
	gid := gp.ID()
	start := mp.sampleStart(tb)
	perr := run(gp)
	if start != 0 {
		mp.traceG(tb, gid, start)
	}
	mp.spawnRun = 0
	mp.finish(gp, perr)
}

// run calls gp's function and converts a panic into a *g.PanicError. It
// is a function of its own so that its defer is open-coded and cheap.
func run(gp *g.G) (perr *g.PanicError) {
	defer func() {
		if r := recover(); r != nil {
			perr = g.Recovered(gp, r)
		}
	}()
	g.Func(gp)(gp)
	return nil
}

// finish accounts for a G that returned or panicked and recycles it.
func (mp *M) finish(gp *g.G, perr *g.PanicError) {
	pp := mp.pp
	pp.C.Inc(p.FinishedGs)
	grp := g.GroupOf(gp)
	pp.FreeG(gp)
	var err error
	if perr != nil {
		pp.C.Inc(p.PanickedGs)
		err = perr
	}
	switch {
	case grp == nil:
		if err != nil {
			mp.s.recordErr(err)
		}
	case err != nil:
		mp.flushDone()
		if w := g.Done(grp, 1, err); w != nil {
			mp.ready(w)
		}
	default:
		if grp != mp.doneGrp {
			mp.flushDone()
			mp.doneGrp = grp
		}
		mp.doneN++
		if mp.doneN == doneBatchMax {
			mp.flushDone()
		}
	}
}

// flushDone reports the completions finish deferred (see g.Done). It
// runs before the M starts a G that is not a sibling of the deferred ones,
// looks beyond its local deque, suspends, switches coroutines or parks: a
// waiter is kept waiting only while its other children run.
func (mp *M) flushDone() {
	grp, n := mp.doneGrp, mp.doneN
	if grp == nil {
		return
	}
	mp.doneGrp, mp.doneN = nil, 0
	if w := g.Done(grp, n, nil); w != nil {
		mp.ready(w)
	}
}

// dropNotRun accounts for a G that will never run because the runtime is
// closed, and tells whoever waits for it.
func (mp *M) dropNotRun(gp *g.G) {
	mp.pp.C.Inc(p.NotRunGs)
	grp := g.GroupOf(gp)
	mp.pp.FreeG(gp)
	if grp != nil {
		if w := g.DropNotRun(grp); w != nil {
			mp.ready(w)
		}
	} else {
		mp.s.recordRootNotRun()
	}
}

// ready makes the parked gp runnable; mp is the M running the caller.
func (mp *M) ready(gp *g.G) {
	owner := g.ThreadOf(gp).Sched.(*M)
	if owner == mp {
		mp.local.Push(gp)
		return
	}
	owner.readyRemote(gp)
}

// readyRemote makes gp, bound to mp, runnable from another thread:
// through mp's remote resume queue, waking mp, and telling the policy if
// it asked to hear of it.
func (mp *M) readyRemote(gp *g.G) {
	r := mp.s.readier
	var c g.Class
	if r != nil {
		c = gp.Class() // before the push: gp may run, end and be reused at once after it
	}
	mp.remote.Push(gp)
	mp.unpark()
	if r != nil {
		r.Readied(mp, c)
	}
}
