package asm_test

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/usched/usched/asm"
)

// TestStoreReleasePublishes is the message-passing litmus test that the
// deque's bottom relies on: a writer fills plain data, then publishes a
// sequence number with StoreRelease; a reader that loads the number
// atomically must find the data written before it. It fails if the
// store were not ordered after the data writes (by the CPU, as a plain
// store on arm64 would allow, or by the compiler moving the data writes
// past the call). Under the race detector StoreRelease is an atomic
// store, which the detector sees: there the test also checks that the
// plain data accesses it orders are not reported as races.
func TestStoreReleasePublishes(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs 2 CPUs for writer and reader to run at once")
	}
	const rounds = 200_000
	var (
		data [4]int64
		seq  int64
		ack  atomic.Int64
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := int64(1); i <= rounds; i++ {
			for j := range data {
				data[j] = i
			}
			asm.StoreRelease(&seq, i)
			for ack.Load() != i { // the reader checks before the next round overwrites
				runtime.Gosched()
			}
		}
	}()
	for i := int64(1); i <= rounds; i++ {
		for atomic.LoadInt64(&seq) != i {
			runtime.Gosched()
		}
		for j, v := range data {
			if v != i {
				t.Fatalf("round %d: data[%d] = %d after the release store of %d was observed", i, j, v, i)
			}
		}
		ack.Store(i)
	}
	<-done
}
