package p

import (
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
