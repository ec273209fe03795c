package p

import (
	"sync/atomic"

	"github.com/usched/usched/g"
)

// MPSC is an intrusive multi-producer single-consumer queue of Gs after
// Dmitry Vyukov's non-intrusive/intrusive MPSC node queue: a push is one
// atomic exchange and one store, wait-free; the single consumer never
// writes what producers touch, except the stub it re-inserts.
//
// It is the resume queue of an M (other Ms and goroutines push readied Gs,
// only that M pops) and, with a lock serialising consumers, the global
// queue. The zero MPSC is not usable; call Init.
//
// A push in progress (after the exchange, before the link store) makes
// Pop return nil although the queue is not empty. Callers that decide to
// sleep therefore check Idle, which reports a push in progress as work, and
// producers wake the consumer after their push completes.
type MPSC struct {
	tail atomic.Pointer[g.G] // producers: Swap; pairs with the consumer's Load in Pop/Idle
	_    [56]byte            // keep producers' line apart from the consumer's
	head *g.G                // consumer-only
	stub g.G
}

// Init makes q empty. Not safe to call concurrently with anything.
func (q *MPSC) Init() {
	q.head = &q.stub
	q.tail.Store(&q.stub)
}

// Push appends gp. Any thread.
func (q *MPSC) Push(gp *g.G) {
	g.Link(gp).Store(nil)
	prev := q.tail.Swap(gp) // serialisation point among producers
	g.Link(prev).Store(gp)  // publishes gp to the consumer
}

// Pop removes the oldest G, or returns nil when the queue is empty or the
// oldest push is still in progress. Consumer only.
func (q *MPSC) Pop() *g.G {
	head := q.head
	next := g.Link(head).Load()
	if head == &q.stub {
		if next == nil {
			return nil
		}
		q.head = next
		head = next
		next = g.Link(next).Load()
	}
	if next != nil {
		q.head = next
		return head
	}
	if q.tail.Load() != head {
		return nil // a producer swapped tail but has not linked yet
	}
	// head is the last element: put the stub behind it so head can go.
	q.Push(&q.stub)
	next = g.Link(head).Load()
	if next != nil {
		q.head = next
		return head
	}
	return nil
}

// Idle reports whether q holds nothing and no push is in progress.
// Consumer only. It never returns true spuriously: a push that has done
// its exchange makes it false.
func (q *MPSC) Idle() bool {
	head := q.head
	return head == &q.stub && q.tail.Load() == &q.stub
}
