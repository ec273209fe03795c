package m

import (
	"testing"
	"unsafe"
)

// TestSchedLayout keeps the read-mostly words every M loads on its hot
// paths (closed, ws, procs, ps) off the lines of the words written while
// Ms run: the global queue, the free pool, and the spin and idle counters.
// See Sched's first comment for what sharing a line cost.
func TestSchedLayout(t *testing.T) {
	var s Sched
	end := func(off, size uintptr) uintptr { return off + size }
	readMostlyEnd := max(
		end(unsafe.Offsetof(s.closed), unsafe.Sizeof(s.closed)),
		end(unsafe.Offsetof(s.stopping), unsafe.Sizeof(s.stopping)),
		end(unsafe.Offsetof(s.ws), unsafe.Sizeof(s.ws)),
		end(unsafe.Offsetof(s.procs), unsafe.Sizeof(s.procs)),
		end(unsafe.Offsetof(s.ps), unsafe.Sizeof(s.ps)),
	)
	for _, w := range []struct {
		name string
		off  uintptr
	}{
		{"global", unsafe.Offsetof(s.global)},
		{"free", unsafe.Offsetof(s.free)},
		{"nspinning", unsafe.Offsetof(s.nspinning)},
		{"nidle", unsafe.Offsetof(s.nidle)},
		{"epoch", unsafe.Offsetof(s.epoch)},
	} {
		if w.off < readMostlyEnd+64 {
			t.Errorf("%s at offset %d is within a line of the read-mostly words (they end at %d)", w.name, w.off, readMostlyEnd)
		}
	}
	if got, free := unsafe.Offsetof(s.nspinning), end(unsafe.Offsetof(s.free), unsafe.Sizeof(s.free)); got < free+64 {
		t.Errorf("nspinning at offset %d may share a line with the free pool (it ends at %d)", got, free)
	}
}
