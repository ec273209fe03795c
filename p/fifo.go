package p

import "github.com/usched/usched/g"

// FIFO is an owner-only growable ring of Gs. An M uses it for the Gs it
// makes runnable itself (a G that yields, a G readied on its own M), which
// need no atomics at all. The zero FIFO is an empty queue.
type FIFO struct {
	buf        []*g.G
	head, tail uint // tail-head is the length; indices wrap by mask
}

// Len returns the number of Gs in q.
func (q *FIFO) Len() int { return int(q.tail - q.head) }

// Push appends gp.
func (q *FIFO) Push(gp *g.G) {
	if int(q.tail-q.head) == len(q.buf) {
		q.grow()
	}
	q.buf[q.tail&uint(len(q.buf)-1)] = gp
	q.tail++
}

// Pop removes the oldest G, or returns nil when q is empty.
func (q *FIFO) Pop() *g.G {
	if q.head == q.tail {
		return nil
	}
	i := q.head & uint(len(q.buf)-1)
	gp := q.buf[i]
	q.buf[i] = nil
	q.head++
	return gp
}

func (q *FIFO) grow() {
	n := 2 * len(q.buf)
	if n == 0 {
		n = 16
	}
	buf := make([]*g.G, n)
	for i := q.head; i != q.tail; i++ {
		buf[i&uint(n-1)] = q.buf[i&uint(len(q.buf)-1)]
	}
	q.buf = buf
}
