package stress

// The sleep storm: every G calls G.Sleep for a random 0 to 5 ms, a
// quarter of them two to four times. Roots of up to sleepChunk Gs are
// submitted from outside and spawn the rest with G.Go, then sleep too.
//
// A sleeping G is suspended on its M's timer heap, with a stack of its
// own; only that M can resume it. So, besides the common checks:
//
//   - Every Sleep returned, once: each G counts its wake-ups, and the
//     count must be its Sleep calls (a G never woken would also hang Wait).
//   - A G wakes on the thread it slept on (its thread ID before and after;
//     Linux only).
//   - No G wakes before its deadline: time.Now() after Sleep(d) is at
//     least d past the time.Now() before it. The timer heap and time.Now
//     read the same monotonic clock, so this is a correctness check of the
//     timer and holds however loaded the machine is. How late a G woke is
//     timing and is not asserted.
//   - Stats.Sleeps is the number of Sleep calls with d > 0; a Sleep(0)
//     is a Yield (see G.Sleep) and is counted among the Yield calls.
//
// With sleeps this short the Gs do not all sleep at once: the Ms start
// new ones while the first wake. The peak number asleep at once and the
// peak memory the Go runtime had mapped (sampled every few milliseconds)
// are reported, not asserted.

import (
	"fmt"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usched/usched"
)

var sleepScenario = &Scenario{
	Name:    "sleep",
	Summary: "sleep storm: every G calls G.Sleep 0-5 ms, some several times; each wakes once, on its own thread, never early",
	prepare: prepareSleep,
}

const (
	sleepMaxMicros = 5000 // a Sleep lasts 0 to this many µs
	sleepMaxCalls  = 4    // Sleep calls of a G that sleeps several times
	sleepChunk     = 256  // Gs per root, the root included
	// sleepSampleEvery is the period of the memory sampler.
	sleepSampleEvery = 5 * time.Millisecond
)

type sleepWorkload struct {
	size int
	// The sleeps of G number n are durs[off[n]:off[n+1]], in µs.
	off  []int32
	durs []uint16
	// calls counts the Sleep calls with d > 0 (Stats.Sleeps); yields those
	// with d == 0; total is the µs of sleep drawn, for the description.
	calls, yields uint64
	total         uint64

	// woke[n] counts the Sleep calls of G number n that returned.
	woke []atomic.Uint32
	// asleep is the number of Gs inside Sleep now; peak its maximum.
	asleep, peak atomic.Int64
}

func prepareSleep(e *env) workload {
	size := e.opts.Size
	w := &sleepWorkload{size: size, off: make([]int32, size+1), woke: make([]atomic.Uint32, size)}
	w.durs = make([]uint16, 0, size+size/2)
	for n := range size {
		k := 1
		if e.rng.IntN(4) == 0 {
			k = 2 + e.rng.IntN(sleepMaxCalls-1)
		}
		for range k {
			us := e.rng.IntN(sleepMaxMicros + 1)
			w.durs = append(w.durs, uint16(us))
			w.total += uint64(us)
			if us == 0 {
				w.yields++
			} else {
				w.calls++
			}
		}
		w.off[n+1] = int32(len(w.durs))
	}
	e.newSlots(size)
	e.want.gs = uint64(size)
	e.want.yieldCalls = w.yields
	e.kind = func(n int) string {
		role := "sleeper"
		if n%sleepChunk == 0 {
			role = "sleeping root"
		}
		return fmt.Sprintf("%s, %d Sleep calls", role, w.off[n+1]-w.off[n])
	}
	return w
}

func (w *sleepWorkload) describe() string {
	return fmt.Sprintf("%d Gs in %d roots of up to %d: %d Sleep calls of 0-%d ms (%d of them 0: a yield), 1 or %d-%d per G, %.1f s of sleep in all",
		w.size, (w.size+sleepChunk-1)/sleepChunk, sleepChunk, len(w.durs), sleepMaxMicros/1000, w.yields,
		2, sleepMaxCalls, float64(w.total)/1e6)
}

func (w *sleepWorkload) run(e *env) {
	mem := startMemSampler()
	for lo := 0; lo < w.size; lo += sleepChunk {
		hi := min(lo+sleepChunk, w.size)
		e.submit(func(gp *usched.G) { w.root(e, gp, lo, hi) })
	}
	e.waitErr("sleep")
	startTotal, peakTotal, peakStacks := mem.stop()

	t := time.Now()
	var bad uint64
	var examples []string
	for n := range w.woke {
		want := uint32(w.off[n+1] - w.off[n])
		if got := w.woke[n].Load(); got != want {
			bad++
			if len(examples) < maxExamples {
				examples = append(examples, fmt.Sprintf("%s woke %d times, want %d", e.describeG(n), got, want))
			}
		}
	}
	if bad > uint64(len(examples)) {
		examples = append(examples, fmt.Sprintf("%d Gs in all", bad))
	}
	e.check("every Sleep returned once", bad == 0, "%s", orDefault(strings.Join(examples, "; "),
		fmt.Sprintf("%d Sleep calls in %d Gs", len(w.durs), w.size)))
	st := e.rt.Stats()
	tot := st.Total()
	e.check("Stats.Sleeps counts every Sleep", tot.Sleeps == w.calls,
		"Sleeps = %d, Sleep calls with d > 0 = %d (and %d of 0, counted as yields)", tot.Sleeps, w.calls, w.yields)
	e.note("at most %d Gs asleep at once; Go memory mapped %.1f MB at the start, %.1f MB at the peak, %.1f MB of it stacks (sampled every %v)",
		w.peak.Load(), float64(startTotal)/(1<<20), float64(peakTotal)/(1<<20), float64(peakStacks)/(1<<20), sleepSampleEvery)
	e.note("%d parks, %d spin rounds, %d suspended Gs resumed", tot.Parks, tot.Spins, tot.ResumedGs)
	e.checking += time.Since(t)
}

func (w *sleepWorkload) root(e *env, gp *usched.G, lo, hi int) {
	if !e.mark(lo) {
		return
	}
	for n := lo + 1; n < hi; n++ {
		gp.Go(func(gp *usched.G) {
			if e.mark(n) {
				w.sleeps(e, gp, n)
			}
		})
	}
	w.sleeps(e, gp, lo)
}

// sleeps makes G number n's Sleep calls and checks each wake-up.
func (w *sleepWorkload) sleeps(e *env, gp *usched.G, n int) {
	for _, us := range w.durs[w.off[n]:w.off[n+1]] {
		d := time.Duration(us) * time.Microsecond
		tid := threadID()
		if now := w.asleep.Add(1); now > w.peak.Load() {
			w.raisePeak(now)
		}
		start := time.Now()
		gp.Sleep(d)
		slept := time.Since(start)
		w.asleep.Add(-1)
		if slept < d {
			e.failf("G %d: Sleep(%v) returned after %v, before its deadline", n, d, slept)
		}
		if got := threadID(); got != tid {
			e.failf("G %d: went to sleep on thread %d, woke on thread %d", n, tid, got)
		}
		w.woke[n].Add(1)
	}
}

func (w *sleepWorkload) raisePeak(now int64) {
	for {
		p := w.peak.Load()
		if now <= p || w.peak.CompareAndSwap(p, now) {
			return
		}
	}
}

// memSampler samples the Go runtime's mapped memory and its stacks until
// stopped, and keeps the peaks. runtime/metrics reads them without
// stopping the world.
type memSampler struct {
	done       chan struct{}
	wg         sync.WaitGroup
	startTotal uint64
	peakTotal  uint64
	peakStacks uint64
}

func startMemSampler() *memSampler {
	ms := &memSampler{done: make(chan struct{})}
	samples := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/stacks:bytes"},
	}
	read := func() {
		metrics.Read(samples)
		if samples[0].Value.Kind() == metrics.KindUint64 {
			ms.peakTotal = max(ms.peakTotal, samples[0].Value.Uint64())
		}
		if samples[1].Value.Kind() == metrics.KindUint64 {
			ms.peakStacks = max(ms.peakStacks, samples[1].Value.Uint64())
		}
	}
	read()
	ms.startTotal = ms.peakTotal
	ms.wg.Go(func() {
		tick := time.NewTicker(sleepSampleEvery)
		defer tick.Stop()
		for {
			select {
			case <-ms.done:
				read()
				return
			case <-tick.C:
				read()
			}
		}
	})
	return ms
}

// stop ends the sampler and returns the memory the Go runtime had mapped
// when it started, and the peaks: of the memory mapped, and of the
// goroutine stacks (coroutine stacks included).
func (ms *memSampler) stop() (start, total, stacks uint64) {
	close(ms.done)
	ms.wg.Wait()
	return ms.startTotal, ms.peakTotal, ms.peakStacks
}
