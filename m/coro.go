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
	msgExit                  // the runtime is stopping: stop every coroutine and return
)

type msg struct {
	kind msgKind
	co   *coro
	gp   *g.G
}

// coro is one scheduler coroutine of the star. next and stop are called
// only by base; yield only by the coroutine itself (a coroutine calling
// another's yield panics in iter.Pull).
type coro struct {
	next  func() (msg, bool)
	stop  func()
	yield func(msg) bool
}

// errStopped unwinds a suspended G whose coroutine base stopped. It cannot
// happen while the accounting is right (Close stops Ms only when no G is
// outstanding), so seeing it reported means a bug, not a user error.
var errStopped = errors.New("usched: M stopped while a G was suspended")

func (mp *M) newCoro() *coro {
	co := new(coro)
	co.next, co.stop = iter.Pull(func(yield func(msg) bool) {
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
			co.yield(msg{kind: msgExit})
			return
		}
		if target := (*coro)(gp.Coro()); target != nil {
			if len(mp.pool) >= poolMax {
				mp.after = target
				return // base sees next() report false and switches to mp.after
			}
			mp.pool = append(mp.pool, co)
			if !co.yield(msg{kind: msgResume, co: target}) {
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
	co := mp.cur
	gp.SetCoro(unsafe.Pointer(co))
	mp.curg = nil
	next := mp.findRunnable() // may park the thread
	switch {
	case next == gp:
		// gp itself was readied while we looked: no switch at all.
	case next == nil:
		panic(errStopped)
	case next.Coro() != nil:
		if !co.yield(msg{kind: msgResume, co: (*coro)(next.Coro())}) {
			panic(errStopped)
		}
	default:
		if !co.yield(msg{kind: msgFresh, gp: next}) {
			panic(errStopped)
		}
	}
	// Running again: base has set mp.cur = co.
	gp.SetCoro(nil)
	mp.curg, mp.spawnRun = gp, 0
}
