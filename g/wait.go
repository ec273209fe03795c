package g

import (
	"sync"
	"sync/atomic"
	"time"
)

// Sleep suspends the G for at least d without blocking its M: the M runs
// other Gs meanwhile and wakes the G from its timer heap. d <= 0 yields.
func (gp *G) Sleep(d time.Duration) {
	if d <= 0 {
		gp.Yield()
		return
	}
	gp.th.Sched.Sleep(gp, d)
}

// Await runs fn on a plain goroutine and suspends the G until fn returns,
// so that a G can wait on anything Go can wait on (a Go channel, a
// sync.Mutex, a network call) without blocking its M. It costs a goroutine
// start and a wake-up (a few µs): use Mutex, WaitGroup or Group for waits
// among Gs.
//
// A panic in fn is re-raised in the G (and so reported like the G's own).
func (gp *G) Await(fn func()) {
	sched := gp.th.Sched
	var perr any
	go func() {
		// Ready happens after fn's effects, and Park returns after Ready
		// (or at once if Ready came first): the G sees everything fn did.
		defer sched.Ready(gp)
		defer func() { perr = recover() }()
		fn()
	}()
	sched.Park(gp)
	if perr != nil {
		panic(perr)
	}
}

// Mutex is a mutual exclusion lock for Gs: a G that finds it locked
// suspends instead of blocking its M. The zero Mutex is unlocked. Lock
// needs the calling G; Unlock may be called from any G or goroutine.
type Mutex struct {
	state   atomic.Int32 // 0 unlocked, 1 locked, 2 locked with waiters (may be stale)
	mu      sync.Mutex   // protects waiters
	waiters []*G
}

// Lock locks m, suspending gp while another holds it.
func (m *Mutex) Lock(gp *G) {
	if m.state.CompareAndSwap(0, 1) {
		return
	}
	m.mu.Lock()
	// Mark contended under mu: Unlock then looks at the waiters.
	if m.state.Swap(2) == 0 {
		m.mu.Unlock()
		return // it was released meanwhile: we hold it (state 2 is safe, only costs a look)
	}
	m.waiters = append(m.waiters, gp)
	m.mu.Unlock()
	gp.th.Sched.Park(gp)
	// Handed over: Unlock passed ownership to us directly, so there is
	// nothing to retry (no barging: a waiter never has to compete again).
}

// TryLock locks m if it is free and reports whether it did.
func (m *Mutex) TryLock() bool { return m.state.CompareAndSwap(0, 1) }

// Unlock unlocks m, handing it to the oldest waiting G if there is one
// (FIFO: no waiter starves). Unlocking an unlocked Mutex panics.
func (m *Mutex) Unlock() {
	if m.state.CompareAndSwap(1, 0) {
		return
	}
	m.mu.Lock()
	switch st := m.state.Load(); {
	case st == 0:
		m.mu.Unlock()
		panic("usched: Unlock of an unlocked Mutex")
	case len(m.waiters) == 0:
		m.state.Store(0)
		m.mu.Unlock()
		return
	}
	w := m.waiters[0]
	m.waiters[0] = nil
	m.waiters = m.waiters[1:]
	if len(m.waiters) == 0 {
		m.state.Store(1) // the new owner has no one behind it
	}
	m.mu.Unlock()
	w.th.Sched.Ready(w) // ownership passes to w
}

// WaitGroup waits for a collection of events, for Gs: Wait suspends the G
// instead of blocking its M. Add and Done may be called from any G or
// goroutine. The zero WaitGroup is ready to use.
type WaitGroup struct {
	mu      sync.Mutex
	n       int64
	waiters []*G
}

// Add adds delta to the counter; when it reaches zero, every waiting G is
// made runnable. A negative counter panics.
func (wg *WaitGroup) Add(delta int) {
	wg.mu.Lock()
	wg.n += int64(delta)
	if wg.n < 0 {
		wg.mu.Unlock()
		panic("usched: negative WaitGroup counter")
	}
	var ws []*G
	if wg.n == 0 {
		ws, wg.waiters = wg.waiters, nil
	}
	wg.mu.Unlock()
	for _, w := range ws {
		w.th.Sched.Ready(w)
	}
}

// Done decrements the counter by one.
func (wg *WaitGroup) Done() { wg.Add(-1) }

// Wait suspends gp until the counter is zero.
func (wg *WaitGroup) Wait(gp *G) {
	wg.mu.Lock()
	if wg.n == 0 {
		wg.mu.Unlock()
		return
	}
	wg.waiters = append(wg.waiters, gp)
	wg.mu.Unlock()
	gp.th.Sched.Park(gp)
}

// EnterSyscall and ExitSyscall bracket a blocking system call made by the
// running gp (package hook uses them).
func EnterSyscall(gp *G) { gp.th.Sched.EnterSyscall(gp) }

// ExitSyscall ends what EnterSyscall began.
func ExitSyscall(gp *G) { gp.th.Sched.ExitSyscall(gp) }
