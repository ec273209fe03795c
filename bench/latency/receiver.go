package latency

import (
	"sync"
	"sync/atomic"
)

// receiver moves requests from the ring into an executor. Each executor
// runs it as one of its own tasks, polling (see executor.go for why):
// poll drains the ring and the task then yields to the executor's other
// tasks (runtime.Gosched, G.Yield) and polls again.
//
// It also detects the end of a point: when the generator has finished and
// every pushed request has been taken (received), and then when every
// taken request has been served (served). served is a Dekker pair between
// the receiver and the last completion: the receiver stores the target
// count and then loads the completed count; a completion adds to the
// completed count and then loads the target. Both are sequentially
// consistent, so at least one side sees the other and closes served; the
// sync.Once makes the second close harmless.
type receiver struct {
	hdr  *header
	cons *Consumer
	got  uint64 // requests taken; owned by the receiving task
	// maxInflight bounds the requests taken but not yet served: an
	// overloaded executor's backlog (a goroutine each, for goroutines)
	// stays in the ring, and once the ring is full the generator drops
	// and counts the excess, like a server's full accept queue.
	maxInflight int64

	target    atomic.Int64 // got, once received; -1 until then
	completed atomic.Int64 // requests served
	received  chan struct{}
	served    chan struct{}
	closeOnce sync.Once
}

func newReceiver(reg *region, maxInflight int) *receiver {
	rc := &receiver{hdr: reg.hdr, cons: reg.ring.Consumer(), maxInflight: int64(maxInflight), received: make(chan struct{}), served: make(chan struct{})}
	rc.target.Store(-1)
	return rc
}

// poll passes every waiting request to submit and reports whether the
// point is over for the receiver (the generator is done and every request
// it pushed has been taken). After it returns true the task must call
// finish and stop polling.
func (rc *receiver) poll(submit func(Request)) bool {
	for int64(rc.got)-rc.completed.Load() < rc.maxInflight {
		r, ok := rc.cons.Pop()
		if !ok {
			break
		}
		submit(r)
		rc.got++
	}
	// genDone is stored after the last push, so once it is seen, sent is
	// final and a request still missing is already in the ring.
	return rc.hdr.genDone.Load() != 0 && rc.got == rc.hdr.sent.Load() && rc.cons.Empty()
}

// finish records how many requests were taken and signals received (and
// served, if every one has already completed).
func (rc *receiver) finish() {
	rc.target.Store(int64(rc.got))
	close(rc.received)
	if rc.completed.Load() == int64(rc.got) {
		rc.closeOnce.Do(func() { close(rc.served) })
	}
}

// complete counts one served request.
func (rc *receiver) complete() {
	n := rc.completed.Add(1)
	if t := rc.target.Load(); t >= 0 && n == t {
		rc.closeOnce.Do(func() { close(rc.served) })
	}
}
