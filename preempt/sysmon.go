package preempt

import (
	"runtime"
	"sync/atomic"
	"time"
)

// sysmonIdleMax is the longest the sysmon sleeps while no M runs a G: it
// backs off (doubling) from one quantum to this, so that an idle runtime
// costs about 50 wake-ups a second rather than one per quantum.
const sysmonIdleMax = 20 * time.Millisecond

// sysmon is the pure-Go watcher: a locked thread that wakes once per
// quantum and applies the sampling rule (tick) to every watched slot.
type sysmon struct {
	w    *Watcher
	quit atomic.Bool
	done chan struct{}
	// idle is set while the sysmon sleeps longer than a quantum (backed
	// off); kicked is its futex word. An M that leaves its idle state
	// calls Kick, which wakes it: without that, the first G to overrun
	// (or block in a hooked call) after an idle spell went unseen for up
	// to sysmonIdleMax (BenchmarkHandoff/sysmon: p99 2.1 ms for 2 ms
	// blocks).
	idle   atomic.Bool
	kicked atomic.Uint32
}

func startSysmon(w *Watcher, cpu int) *sysmon {
	sm := &sysmon{w: w, done: make(chan struct{})}
	go sm.run(cpu)
	return sm
}

func (sm *sysmon) run(cpu int) {
	// Locked for life and never unlocked: the thread's timer slack and
	// affinity change, so it must die with this goroutine.
	runtime.LockOSThread()
	defer close(sm.done)
	prepareSysmonThread(cpu)
	period := sm.w.quantum
	sleep := period
	for !sm.quit.Load() {
		if sleep > period {
			sm.idle.Store(true)
			if sm.kicked.Load() == 0 { // a kick since the last sleep ended: do not sleep
				sleepKickable(&sm.kicked, sleep)
			}
			sm.idle.Store(false)
			sm.kicked.Store(0)
		} else {
			nanosleep(sleep)
		}
		busy := false
		escalated := false
		t := sm.w.table
		for i := range t.Len() {
			s := t.Slot(i)
			if atomic.LoadUint32(&s.Watch) == 0 {
				continue
			}
			esc, seq := tick(s)
			busy = busy || seq != 0
			escalated = escalated || esc
		}
		if escalated {
			sm.w.handle()
		}
		if busy {
			sleep = period
		} else if sleep < sysmonIdleMax {
			sleep = min(2*sleep, sysmonIdleMax)
		}
	}
}

// stop ends the sysmon and waits for its thread to exit its loop.
func (sm *sysmon) stop() {
	sm.quit.Store(true)
	kick(&sm.kicked)
	<-sm.done
}

// kickIfIdle wakes a backed-off sysmon: one load when it is not.
func (sm *sysmon) kickIfIdle() {
	if sm.idle.Load() {
		kick(&sm.kicked)
	}
}
