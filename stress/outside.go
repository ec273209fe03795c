package stress

// Submission from many outside goroutines at once: 64 goroutines released
// together each submit their share of the Gs in a loop, half with
// Runtime.Go and half with TryGo, all into the global queue while the Ms
// drain it. This is the path a server's request goroutines take.

import (
	"fmt"
	"sync"

	"github.com/usched/usched"
)

var outsideScenario = &Scenario{
	Name:    "outside",
	Summary: "64 goroutines released at once submit every G with Runtime.Go or TryGo",
	prepare: prepareOutside,
}

const outsideSubmitters = 64

type outsideWorkload struct{ size int }

func prepareOutside(e *env) workload {
	e.newSlots(e.opts.Size)
	e.want.gs = uint64(e.opts.Size)
	e.kind = func(n int) string {
		return fmt.Sprintf("submitted by goroutine %d", outsideOwner(n, e.opts.Size))
	}
	return &outsideWorkload{size: e.opts.Size}
}

// outsideOwner returns the submitter of G number n of size.
func outsideOwner(n, size int) int {
	for j := range outsideSubmitters {
		if n < (j+1)*size/outsideSubmitters {
			return j
		}
	}
	return outsideSubmitters - 1
}

func (w *outsideWorkload) describe() string {
	return fmt.Sprintf("%d Gs submitted by %d goroutines at once (half Runtime.Go, half TryGo)", w.size, outsideSubmitters)
}

func (w *outsideWorkload) run(e *env) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for j := range outsideSubmitters {
		lo, hi := j*w.size/outsideSubmitters, (j+1)*w.size/outsideSubmitters
		wg.Go(func() {
			<-start // all at once: the point is contention on the global queue
			for n := lo; n < hi; n++ {
				fn := func(*usched.G) { e.mark(n) }
				if j%2 == 0 {
					e.submit(fn)
					continue
				}
				if err := e.rt.TryGo(fn); err != nil {
					e.failf("goroutine %d: TryGo before Close returned %v", j, err)
					continue
				}
				e.submitted.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	e.waitErr("outside")
}
