package latency

import (
	"fmt"
	"sync/atomic"
	"unsafe"
)

// Request is one entry of the request ring: 24 bytes, written by the
// generator, read by the receiver.
type Request struct {
	ID       uint64 // index of the request in its point's schedule: 0..N-1
	Kind     uint32 // KindShort or KindLong
	_        uint32
	Intended int64 // intended arrival time, CLOCK_MONOTONIC ns
}

// Request kinds.
const (
	KindShort uint32 = 0
	KindLong  uint32 = 1
)

// ringCtlBytes is the control block ahead of the slots: the consumer's
// head and the producer's tail on cache lines of their own, so that each
// side's store does not invalidate the line the other side polls.
const ringCtlBytes = 128

// Ring is a bounded single-producer single-consumer queue of Requests laid
// out in caller-provided memory, so that it can live in memory shared by
// two processes. It holds no cursor of its own: take one Producer and one
// Consumer view of it.
//
// Protocol: the producer writes a slot with plain stores, then publishes it
// by storing tail (release); the consumer loads tail (acquire), reads the
// slot, then frees it by storing head (release), which the producer loads
// (acquire) before it reuses the slot. Go's atomics are sequentially
// consistent, which is stronger than needed; on amd64 they compile to plain
// moves plus XCHG for the stores.
type Ring struct {
	head  *atomic.Uint64 // next slot to read; written by the consumer only
	tail  *atomic.Uint64 // next slot to write; written by the producer only
	slots []Request
	mask  uint64
}

// RingBytes returns the memory a Ring of capacity slots needs.
func RingBytes(capacity int) int {
	return ringCtlBytes + capacity*int(unsafe.Sizeof(Request{}))
}

// NewRing lays a Ring of capacity slots (a power of two) over mem, which
// must be at least RingBytes(capacity) long, 64-byte aligned, and zero
// when the ring is first used (a fresh mmap or make is). Both processes
// call NewRing over the same shared bytes.
func NewRing(mem []byte, capacity int) (*Ring, error) {
	if capacity <= 0 || capacity&(capacity-1) != 0 {
		return nil, fmt.Errorf("latency: ring capacity %d is not a power of two", capacity)
	}
	if len(mem) < RingBytes(capacity) {
		return nil, fmt.Errorf("latency: ring of %d slots needs %d bytes, have %d", capacity, RingBytes(capacity), len(mem))
	}
	base := unsafe.Pointer(unsafe.SliceData(mem))
	if uintptr(base)%64 != 0 {
		return nil, fmt.Errorf("latency: ring memory at %p is not 64-byte aligned", base)
	}
	return &Ring{
		head:  (*atomic.Uint64)(base),
		tail:  (*atomic.Uint64)(unsafe.Add(base, 64)),
		slots: unsafe.Slice((*Request)(unsafe.Add(base, ringCtlBytes)), capacity),
		mask:  uint64(capacity - 1),
	}, nil
}

// Cap returns the number of slots.
func (r *Ring) Cap() int { return len(r.slots) }

// Len returns the number of published, unread requests. Exact only when
// neither side is moving; otherwise a value that was true a moment ago.
func (r *Ring) Len() int { return int(r.tail.Load() - r.head.Load()) }

// Producer is the writing side of a Ring. Only one goroutine may use it.
type Producer struct {
	r         *Ring
	tail      uint64 // private copy of r.tail: only this side writes it
	headCache uint64 // last head seen; refreshed only when the ring looks full
}

// Producer returns the ring's writing side, starting at the current tail.
func (r *Ring) Producer() *Producer {
	t := r.tail.Load()
	return &Producer{r: r, tail: t, headCache: r.head.Load()}
}

// Push publishes req and reports whether there was room; it never blocks.
func (p *Producer) Push(req Request) bool {
	if p.tail-p.headCache == uint64(len(p.r.slots)) {
		p.headCache = p.r.head.Load() // acquire: the consumer is done with the slot
		if p.tail-p.headCache == uint64(len(p.r.slots)) {
			return false
		}
	}
	p.r.slots[p.tail&p.r.mask] = req
	p.tail++
	p.r.tail.Store(p.tail) // release: publishes the slot
	return true
}

// Consumer is the reading side of a Ring. Only one goroutine may use it.
type Consumer struct {
	r         *Ring
	head      uint64 // private copy of r.head: only this side writes it
	tailCache uint64 // last tail seen; refreshed only when the ring looks empty
}

// Consumer returns the ring's reading side, starting at the current head.
func (r *Ring) Consumer() *Consumer {
	h := r.head.Load()
	return &Consumer{r: r, head: h, tailCache: h}
}

// Pop takes the oldest published request, if any; it never blocks.
func (c *Consumer) Pop() (Request, bool) {
	if c.head == c.tailCache {
		c.tailCache = c.r.tail.Load() // acquire: pairs with Push's release
		if c.head == c.tailCache {
			return Request{}, false
		}
	}
	req := c.r.slots[c.head&c.r.mask]
	c.head++
	c.r.head.Store(c.head) // release: the slot may be reused
	return req, true
}

// Empty reports whether no published request is waiting. It re-reads the
// shared tail, so it sees a Push that happened before the call.
func (c *Consumer) Empty() bool {
	if c.head != c.tailCache {
		return false
	}
	c.tailCache = c.r.tail.Load()
	return c.head == c.tailCache
}

// alignedBytes returns n zero bytes, 64-byte aligned, from the Go heap
// (for rings and test regions that are not shared between processes).
func alignedBytes(n int) []byte {
	words := make([]uint64, (n+64)/8+8)
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), len(words)*8)
	off := (64 - int(uintptr(unsafe.Pointer(unsafe.SliceData(b)))%64)) % 64
	return b[off : off+n : off+n]
}
