package latency

import (
	"runtime"
	"sync"
	"testing"
)

// TestRingFullEmpty checks the bounds: Pop on an empty ring fails, Push on
// a full one fails, and both recover, across several wrap-arounds.
func TestRingFullEmpty(t *testing.T) {
	const capacity = 8
	r, err := NewRing(alignedBytes(RingBytes(capacity)), capacity)
	if err != nil {
		t.Fatal(err)
	}
	p, c := r.Producer(), r.Consumer()
	if _, ok := c.Pop(); ok || !c.Empty() {
		t.Fatal("a fresh ring is not empty")
	}
	next, want := uint64(0), uint64(0)
	for round := range 5 {
		for range capacity {
			if !p.Push(Request{ID: next}) {
				t.Fatalf("round %d: push %d failed on a ring with room", round, next)
			}
			next++
		}
		if p.Push(Request{ID: next}) {
			t.Fatalf("round %d: push succeeded on a full ring", round)
		}
		if r.Len() != capacity {
			t.Fatalf("round %d: Len %d, want %d", round, r.Len(), capacity)
		}
		for range capacity - round%capacity {
			got, ok := c.Pop()
			if !ok || got.ID != want {
				t.Fatalf("round %d: pop = %d, %v; want %d", round, got.ID, ok, want)
			}
			want++
		}
		for r.Len() > 0 {
			got, _ := c.Pop()
			if got.ID != want {
				t.Fatalf("round %d: pop = %d, want %d", round, got.ID, want)
			}
			want++
		}
	}
	if _, err := NewRing(alignedBytes(RingBytes(6)), 6); err == nil {
		t.Error("NewRing accepted a capacity that is not a power of two")
	}
	if _, err := NewRing(alignedBytes(RingBytes(8)-1), 8); err == nil {
		t.Error("NewRing accepted too little memory")
	}
}

// TestRingSPSC runs a producer and a consumer goroutine concurrently over
// a small ring (so that it is full and empty often) and checks that every
// request arrives once, in order, with its fields intact. The ring's
// memory is on the Go heap, so under -race the detector checks that the
// slot accesses are ordered by the ring's atomics.
func TestRingSPSC(t *testing.T) {
	n := 200_000
	if testing.Short() {
		n = 20_000
	}
	for _, capacity := range []int{1, 4, 64} {
		r, err := NewRing(alignedBytes(RingBytes(capacity)), capacity)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			p := r.Producer()
			for i := range n {
				req := Request{ID: uint64(i), Kind: uint32(i % 2), Intended: int64(i) * 3}
				for !p.Push(req) {
					runtime.Gosched()
				}
			}
		})
		c := r.Consumer()
		for want := range n {
			var got Request
			for {
				var ok bool
				if got, ok = c.Pop(); ok {
					break
				}
				runtime.Gosched()
			}
			if got.ID != uint64(want) || got.Kind != uint32(want%2) || got.Intended != int64(want)*3 {
				t.Fatalf("capacity %d: request %d arrived as %+v", capacity, want, got)
			}
		}
		wg.Wait()
		if _, ok := c.Pop(); ok {
			t.Fatalf("capacity %d: an extra request arrived", capacity)
		}
	}
}

// TestRegionShared maps one memfd twice, as the parent and the child do,
// and passes requests from a producer on one mapping to a consumer on the
// other, and done[] words back.
func TestRegionShared(t *testing.T) {
	const ringCap, n = 16, 1000
	parent, f, err := createRegion(ringCap, n)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	defer parent.unmap()
	child, err := mapRegion(int(f.Fd()), ringCap, n)
	if err != nil {
		t.Fatal(err)
	}
	defer child.unmap()
	if child.hdr.magic != shmMagic {
		t.Fatalf("second mapping sees magic %#x", child.hdr.magic)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		p := parent.ring.Producer()
		for i := range n {
			for !p.Push(Request{ID: uint64(i), Intended: int64(i) + 5}) {
				runtime.Gosched()
			}
		}
		parent.hdr.sent.Store(n)
		parent.hdr.genDone.Store(1)
	})
	c := child.ring.Consumer()
	for want := 0; want < n; {
		r, ok := c.Pop()
		if !ok {
			runtime.Gosched()
			continue
		}
		if r.ID != uint64(want) || r.Intended != int64(want)+5 {
			t.Fatalf("request %d arrived as %+v", want, r)
		}
		child.done[r.ID] = r.Intended + 1
		want++
	}
	wg.Wait()
	if child.hdr.genDone.Load() != 1 || child.hdr.sent.Load() != n {
		t.Fatalf("child sees genDone %d sent %d", child.hdr.genDone.Load(), child.hdr.sent.Load())
	}
	for i := range n {
		if parent.done[i] != int64(i)+6 {
			t.Fatalf("parent sees done[%d] = %d, want %d", i, parent.done[i], i+6)
		}
	}
}
