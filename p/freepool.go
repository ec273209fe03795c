package p

import (
	"sync"

	"github.com/usched/usched/g"
)

// freeBatch is how many G descriptors move between a P and the FreePool at
// once: enough that the pool's mutex is taken once per hundreds of Gs.
const freeBatch = freeListMax / 2

// freePoolMax bounds the descriptors the pool keeps, in batches; past it
// they are left to the GC.
const freePoolMax = 64

// FreePool is the runtime-wide store of finished G descriptors, exchanged
// with the Ps' own free lists in batches (Go's sched.gFree plays the same
// role for goroutines). Without it a P that only spawns and a P that only
// runs what it steals from it never meet: the thief's free list fills
// while the spawner allocates fresh memory for every G. Gs that overflow
// to the global queue need none of this: they travel by value (Batch).
type FreePool struct {
	mu      sync.Mutex
	batches [][]*g.G // protected by mu
}

// put stores a batch. Any thread.
func (fp *FreePool) put(batch []*g.G) {
	fp.mu.Lock()
	if len(fp.batches) < freePoolMax {
		fp.batches = append(fp.batches, batch)
	}
	fp.mu.Unlock()
}

// get returns a batch, or nil when the pool is empty. Any thread.
func (fp *FreePool) get() []*g.G {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	n := len(fp.batches)
	if n == 0 {
		return nil
	}
	b := fp.batches[n-1]
	fp.batches[n-1] = nil
	fp.batches = fp.batches[:n-1]
	return b
}
