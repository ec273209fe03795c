package m

import (
	"errors"
	"iter"
	"unsafe"

	"github.com/usched/usched/g"
	"github.com/usched/usched/p"
)

// msgKind says what a coroutine asks base to do when it yields.
type msgKind uint8

const (
	msgResume msgKind = iota // switch to msg.co (a suspended G's coroutine)
	msgFresh                 // run msg.gp (unstarted) on a pooled or new coroutine
	msgExit                  // the runtime is stopping: end every coroutine and return
)

// msg is what a coroutine asks of base. It travels in M.out, not through
// iter.Pull's value: iter.Pull keeps a copy of the value type in every
// coroutine's state, and a suspended G pays for that state.
type msg struct {
	kind msgKind
	co   *coro
	gp   *g.G
}

// coro is one scheduler coroutine of the star. next is called only by
// base; yield only by the coroutine itself (a coroutine calling another's
// yield panics in iter.Pull). iter.Pull's stop is not kept: to end a
// coroutine, base sets M.exiting and resumes it, and its loop returns.
// A suspended G holds its coroutine, so every word here is per suspended G.
type coro struct {
	next  func() (struct{}, bool)
	yield func(struct{}) bool
}

// send yields to base with the request m and returns when base resumes
// this coroutine (check mp.exiting then).
func (co *coro) send(mp *M, m msg) {
	mp.out = m
	co.yield(struct{}{})
}

// errStopped unwinds a suspended G resumed because its M is exiting. It
// cannot happen while the accounting is right (Close stops Ms only when no
// G is outstanding), so seeing it reported means a bug, not a user error.
var errStopped = errors.New("usched: M stopped while a G was suspended")

func (mp *M) newCoro() *coro {
	co := new(coro)
	co.next, _ = iter.Pull(func(yield func(struct{}) bool) {
		co.yield = yield
		mp.loop(co)
	})
	return co
}

func (mp *M) freshCoro() *coro {
	if n := len(mp.pool); n > 0 {
		co := mp.pool[n-1]
		mp.pool = mp.pool[:n-1]
		return co
	}
	return mp.newCoro()
}

// loop is the scheduler loop of coroutine co: find a G and run it inline;
// to resume a suspended G, hand the thread to its coroutine through base.
func (mp *M) loop(co *coro) {
	for {
		gp := mp.handoff
		mp.handoff = nil
		if gp == nil {
			gp = mp.findRunnable()
		}
		if gp == nil { // stopping
			co.send(mp, msg{kind: msgExit})
			return // base resumes us with mp.exiting set
		}
		if target := (*coro)(g.Coro(gp)); target != nil {
			if len(mp.pool) >= poolMax {
				mp.flushDone()
				mp.after = target
				return // base sees next() report false and switches to mp.after
			}
			mp.flushDone()
			mp.pool = append(mp.pool, co)
			co.send(mp, msg{kind: msgResume, co: target})
			if mp.exiting {
				return
			}
			continue
		}
		mp.execute(gp)
	}
}

// suspend parks the running gp on its coroutine and runs something else
// until gp is resumed. gp must already be registered wherever its wake-up
// comes from (a resume queue for Yield, a Group for Wait).
func (mp *M) suspend(gp *g.G) {
	mp.pp.C.Inc(p.Suspends)
	mp.flushDone()
	mp.boundGs++
	co := mp.cur
	g.SetCoro(gp, unsafe.Pointer(co))
	next := mp.findRunnable() // may park the thread
	switch {
	case next == gp:
		// gp itself was readied while we looked: no switch at all.
	case next == nil:
		panic(errStopped)
	case g.Coro(next) != nil:
		co.send(mp, msg{kind: msgResume, co: (*coro)(g.Coro(next))})
	default:
		co.send(mp, msg{kind: msgFresh, gp: next})
	}
	if mp.exiting {
		panic(errStopped)
	}
	// Running again: base has set mp.cur = co.
	mp.boundGs--
	g.SetCoro(gp, nil)
	mp.spawnRun = 0
	mp.startSlice()
}
