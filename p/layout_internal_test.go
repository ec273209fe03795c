package p

import (
	"sync/atomic"
	"testing"
	"unsafe"
)

// TestPLayout keeps the cache-line layout that P's doc describes: what
// thieves read (ID, deque, pool) on a line of its own, runnext on the
// next, and the owner's counters after it. Reordering the fields, or
// dropping a pad, fails here rather than as a slowdown on many cores.
func TestPLayout(t *testing.T) {
	var pp P
	shared := unsafe.Offsetof(pp.pool) + unsafe.Sizeof(pp.pool) // end of the thieves' fields
	if got := unsafe.Offsetof(pp.ID); got != 0 {
		t.Errorf("ID at offset %d, want 0", got)
	}
	if got := unsafe.Offsetof(pp.deque); got >= shared {
		t.Errorf("deque at offset %d, not among the read-only fields before %d", got, shared)
	}
	if got := unsafe.Offsetof(pp.runnext); got < 64 {
		t.Errorf("runnext at offset %d shares the first line with ID and deque", got)
	}
	if got, rn := unsafe.Offsetof(pp.C), unsafe.Offsetof(pp.runnext); got-rn < 64 {
		t.Errorf("counters at offset %d share runnext's line (offset %d)", got, rn)
	}
	if size := unsafe.Sizeof(pp); size <= 512 {
		// Go's size classes above 512 bytes are multiples of 64, so a
		// larger P starts on a line boundary and its pads fall where
		// they should; a smaller one may start mid-line.
		t.Errorf("P is %d bytes: it may not start on a cache-line boundary", size)
	}
}

// TestPublishLayout guards the pointer conversion in counters.go's publish:
// publish stores an atomic.Uint64's value through a *int64 to the struct
// itself, which is right only while the type is a single 8-byte word
// (zero-size fields aside) with 8-byte alignment.
func TestPublishLayout(t *testing.T) {
	var x atomic.Uint64
	if size, align := unsafe.Sizeof(x), unsafe.Alignof(x); size != 8 || align != 8 {
		t.Fatalf("atomic.Uint64 is %d bytes with alignment %d; publish assumes 8 and 8", size, align)
	}
	publish(&x, 1<<63+5)
	if got := x.Load(); got != 1<<63+5 {
		t.Fatalf("after publish(1<<63+5), Load returns %d", got)
	}
}
