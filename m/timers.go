package m

import (
	"time"

	"github.com/usched/usched/g"
	"github.com/usched/usched/p"
)

// Timers: G.Sleep suspends a G on its M's timer heap. A sleeping G has a
// stack on this M (it suspended), so only this M can resume it; the heap is
// the M's, owner-only, and needs no lock. The M looks at it every
// fairnessTicks rounds and whenever its local deque runs dry, and a parking
// M sleeps no longer than until the earliest timer.

// timer is one sleeping G.
type timer struct {
	when int64 // s.now() value at which gp is due
	gp   *g.G
}

// timerHeap is a binary min-heap on when.
type timerHeap []timer

func (h *timerHeap) push(t timer) {
	*h = append(*h, t)
	a := *h
	for i := len(a) - 1; i > 0; {
		parent := (i - 1) / 2
		if a[parent].when <= a[i].when {
			break
		}
		a[parent], a[i] = a[i], a[parent]
		i = parent
	}
}

func (h *timerHeap) pop() timer {
	a := *h
	top := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a[last] = timer{}
	a = a[:last]
	for i := 0; ; {
		l, r, min := 2*i+1, 2*i+2, i
		if l < len(a) && a[l].when < a[min].when {
			min = l
		}
		if r < len(a) && a[r].when < a[min].when {
			min = r
		}
		if min == i {
			break
		}
		a[i], a[min] = a[min], a[i]
		i = min
	}
	*h = a
	return top
}

// Sleep suspends gp for at least d.
func (mp *M) Sleep(gp *g.G, d time.Duration) {
	mp.pp.C.Inc(p.Sleeps)
	mp.timers.push(timer{when: mp.s.now() + int64(d), gp: gp})
	mp.suspend(gp)
}

// runTimers moves every due sleeper to the resume queue and returns the
// time until the next one is due (0: none left). Call only when
// len(mp.timers) > 0.
func (mp *M) runTimers() time.Duration {
	now := mp.s.now()
	for len(mp.timers) > 0 {
		if wait := mp.timers[0].when - now; wait > 0 {
			return time.Duration(wait)
		}
		mp.local.Push(mp.timers.pop().gp)
	}
	return 0
}
