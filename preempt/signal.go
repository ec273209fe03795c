package preempt

import (
	"os"
	"os/signal"
	"syscall"
)

// signalRelay receives the escalation signal BPF sends and hands the
// escalated slots to Escalate. The signal carries no data (Go's handler
// cannot tell us which thread it hit), so the relay scans the table for
// slots whose Signaled it has not handled yet.
type signalRelay struct {
	ch   chan os.Signal
	done chan struct{}
}

func startRelay(w *Watcher, sig syscall.Signal) *signalRelay {
	r := &signalRelay{ch: make(chan os.Signal, 16), done: make(chan struct{})}
	signal.Notify(r.ch, sig)
	go func() {
		defer close(r.done)
		for range r.ch {
			w.handle()
		}
	}()
	return r
}

// stop unregisters the signal and waits for the relay goroutine to end.
func (r *signalRelay) stop() {
	signal.Stop(r.ch)
	close(r.ch)
	<-r.done
}
