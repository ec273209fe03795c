package m

import (
	"github.com/usched/usched/g"
	"github.com/usched/usched/p"
)

// centralized is Shinjuku's policy: one global FIFO that idle Ms pull
// from one G at a time, with no dispatcher thread, and a short quantum
// (the root package's default for this policy) after which a G goes to
// the back of the FIFO. Spawned and submitted Gs alike join the FIFO.
// Classes are ignored.
//
// A suspended G is bound to its M (see package g), so a preempted G
// cannot sit in the shared queue itself. It waits in its M's bound FIFO
// with a mark: the number of Gs that had arrived in the global FIFO when
// it yielded. Its M resumes it once every one of those has been taken
// (or the global FIFO is empty), which is exactly when it would have
// reached the front of one logical FIFO. The difference from Shinjuku: it
// can run only on its own M, so it waits if that M is busy while others
// are idle. Gs readied by other code (a wait ended) join the bound FIFO
// the same way, marked when the M first sees them.
//
// It is made for request-style work. A Group.Wait cannot run its children
// inline (TakeChild finds none: they wait their turn in the FIFO), so the
// waiter suspends at every join, and fork-join trees run 10-30x slower
// than under work stealing (the fib and uts stress scenarios).
type centralized struct {
	s  *Sched
	ms []centM // per M (index == its P's ID)
}

// centM is one M's bound FIFO: its suspended Gs waiting for their turn.
// Owner-only.
type centM struct {
	q    []boundTurn
	head int
	_    [40]byte
}

// boundTurn is a suspended G and the arrival count it waits for.
type boundTurn struct {
	gp   *g.G
	mark uint64
}

func newCentralized(s *Sched) *centralized {
	return &centralized{s: s, ms: make([]centM, len(s.ps))}
}

func (*centralized) Name() string { return "centralized" }

// The FIFO's own counts are the marks: global.Pushed is the arrivals so
// far, global.Popped the departures (a G is counted as pushed before its
// push completes, so a mark never takes a G not yet queued for gone).
func (c *centralized) put(gp *g.G) {
	c.s.global.Put(gp)
	c.s.wakep()
}

// Spawned queues gp at the back of the FIFO. A spawning loop that has
// filled the FIFO (backpressureLen Gs per P) yields, as under work
// stealing (M.backpressure), and as a yielded G it waits until every G
// queued before it has been taken: without that, a loop that outruns the
// Ms queued every G it spawned (all 300,000 of TestSpawnLoopBackpressure's
// loop, on one P with preemption off).
func (c *centralized) Spawned(mp *M, parent, gp *g.G) {
	c.put(gp)
	if mp.spawningLoop() && c.s.global.Len() > backpressureLen*int64(c.s.procs) {
		mp.backpressure(parent)
	}
}

func (c *centralized) Submitted(gp *g.G) { c.put(gp) }

func (c *centralized) Yielded(mp *M, gp *g.G, _ bool) {
	c.ms[mp.pp.ID].push(gp, c.s.global.Pushed())
}

func (c *centralized) Next(mp *M, _ bool) *g.G {
	cm := &c.ms[mp.pp.ID]
	c.drain(mp, cm)
	if t := cm.peek(); t != nil && (c.s.global.Popped() >= t.mark || c.s.global.Len() == 0) {
		return cm.pop(mp)
	}
	if gp := mp.takeGlobalOne(&c.s.global); gp != nil {
		return gp
	}
	if cm.peek() != nil {
		return cm.pop(mp) // the FIFO is empty or held by another M
	}
	mp.idleChores()
	c.drain(mp, cm)
	if cm.peek() != nil {
		return cm.pop(mp)
	}
	return nil
}

// drain moves Gs readied on mp into its bound FIFO, marked now.
func (c *centralized) drain(mp *M, cm *centM) {
	mp.drainResume(func(gp *g.G) { cm.push(gp, c.s.global.Pushed()) })
}

// Steal has nothing to steal: no P holds Gs of its own.
func (*centralized) Steal(*M, *p.P) *g.G { return nil }

// TakeChild finds nothing: children wait in the global FIFO, and a
// waiter suspends rather than run them out of turn.
func (*centralized) TakeChild(*M, *g.GroupState, g.Class) *g.G { return nil }

func (c *centralized) Pending(mp *M) bool {
	return c.s.global.Len() > 0 || c.ms[mp.pp.ID].peek() != nil
}

func (*centralized) Queued(*p.P) int       { return 0 }
func (c *centralized) GlobalQueued() int64 { return c.s.global.Len() }

func (cm *centM) push(gp *g.G, mark uint64) {
	if cm.head > 0 && cm.head == len(cm.q) {
		cm.q, cm.head = cm.q[:0], 0
	}
	cm.q = append(cm.q, boundTurn{gp, mark})
}

func (cm *centM) peek() *boundTurn {
	if cm.head == len(cm.q) {
		return nil
	}
	return &cm.q[cm.head]
}

func (cm *centM) pop(mp *M) *g.G {
	gp := cm.q[cm.head].gp
	cm.q[cm.head].gp = nil
	cm.head++
	if cm.head > 64 && cm.head*2 > len(cm.q) {
		n := copy(cm.q, cm.q[cm.head:])
		clear(cm.q[n:])
		cm.q, cm.head = cm.q[:n], 0
	}
	mp.pp.C.Inc(p.ResumedGs)
	return gp
}
