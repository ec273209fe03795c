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
		nanosleep(sleep)
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
	<-sm.done
}
