//go:build !race

package p

import (
	"sync/atomic"
	"unsafe"

	"github.com/usched/usched/asm"
)

// publish stores v into a published counter with release ordering only
// (asm.StoreRelease: a MOV on amd64, STLR on arm64), where x.Store would be
// an XCHG on amd64: Publish stores every counter every few dozen
// scheduling rounds, about 0.4 of an XCHG per tiny G. Readers load with
// x.Load. Release is all a published copy needs: the copy is a racy
// snapshot by contract, and where Stats must be exact (a parked M, see
// Sched.quiescent) a sequentially consistent operation follows Publish
// before anyone reads, which orders the release stores before it.
//
// The pointer conversion is sound because atomic.Uint64 is one uint64
// after zero-size fields (TestPublishLayout checks its size), so x's
// address is its value's, 8-byte aligned on every architecture.
func publish(x *atomic.Uint64, v uint64) {
	asm.StoreRelease((*int64)(unsafe.Pointer(x)), int64(v))
}
