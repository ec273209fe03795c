package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"iter"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usched/usched"
)

// gmemN is the number of Gs (or goroutines) each measurement creates.
const gmemN = 100_000

// gmemEnv names the kind a child process measures (see TestGMemoryChild).
const gmemEnv = "USCHED_BENCH_GMEMORY"

// gmemKinds maps each measured kind to its metric unit.
var gmemKinds = []struct{ kind, unit string }{
	{"unstarted", "B/unstarted-G"},
	{"suspended", "B/suspended-G"},
	{"parked", "B/parked-goroutine"},
	{"pull", "B/suspended-iter.Pull"},
}

// BenchmarkGMemory reports the memory one unstarted G, one suspended G, one
// goroutine parked on a channel and one bare iter.Pull coroutine suspended
// in a yield cost, each as a metric in bytes.
// B/unstarted-G is measured on a fresh runtime, so it includes the growth of
// the P's deque ring to hold gmemN Gs (8 bytes a slot, the ring's size a
// power of two: 131072 slots, about 10.5 bytes per G here) beside the
// 64-byte descriptor. (Measuring on a runtime whose ring has already grown
// says nothing useful: the ring keeps finished Gs' descriptors reachable
// until their slots are reused, see steal.Deque, so new Gs then cost almost
// nothing net.)
//
// Method (the same for all three): runtime.GC, read runtime.MemStats,
// create gmemN objects and keep them alive, runtime.GC, read again; the
// cost is the growth of HeapAlloc+StackInuse divided by gmemN. HeapAlloc
// after a GC is exactly the bytes of live heap objects (G descriptors, the
// runtime's g structs, coroutines, sudogs, queue arrays); StackInuse is the
// bytes of goroutine stacks, which live outside the heap. HeapInuse would
// add span rounding and fragmentation to the heap side; at 100 000 objects
// either measure gives nearly the same numbers.
//
// Each measurement runs in a fresh process (this test binary, run again
// with TestGMemoryChild): in a process that has already run and ended
// goroutines, Go reuses their g structs from a free list, and the heap
// growth would miss them. b.N is ignored: each round measures once, and
// ns/op reports how long that took.
func BenchmarkGMemory(b *testing.B) {
	// Measure in the b.N == 1 run that starts every round (-count); the
	// testing package may call again with a larger b.N when that run was
	// shorter than -benchtime, and those calls report the same values.
	if b.N == 1 || gmemLast == nil {
		t0 := time.Now()
		gmemLast = measureGMemory(b)
		gmemTook = time.Since(t0)
	}
	for i, k := range gmemKinds {
		b.ReportMetric(gmemLast[i], k.unit)
	}
	// ns/op: how long the measurement took (three child processes).
	b.ReportMetric(float64(gmemTook.Nanoseconds()), "ns/op")
}

var (
	gmemLast []float64     // the last round's measurements, in gmemKinds order
	gmemTook time.Duration // and how long they took
)

func measureGMemory(b *testing.B) []float64 {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	var vals []float64
	for _, k := range gmemKinds {
		cmd := exec.Command(exe, "-test.run=^TestGMemoryChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), gmemEnv+"="+k.kind)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("%s: %v\n%s", k.kind, err, out)
		}
		v, err := parseGMemory(out)
		if err != nil {
			b.Fatalf("%s: %v\n%s", k.kind, err, out)
		}
		vals = append(vals, v)
	}
	return vals
}

func parseGMemory(out []byte) (float64, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if s, ok := strings.CutPrefix(sc.Text(), "gmemory-bytes-per-object: "); ok {
			return strconv.ParseFloat(s, 64)
		}
	}
	return 0, fmt.Errorf("no result line")
}

// TestGMemoryChild does one measurement of BenchmarkGMemory when the
// environment asks for it (BenchmarkGMemory runs it in a child process);
// otherwise it skips.
func TestGMemoryChild(t *testing.T) {
	kind := os.Getenv(gmemEnv)
	if kind == "" {
		t.Skip("run by BenchmarkGMemory in a child process")
	}
	var per float64
	switch kind {
	case "unstarted":
		per = measureUnstarted(t)
	case "suspended":
		per = measureSuspended(t)
	case "parked":
		per = measureParked(t)
	case "pull":
		per = measurePull()
	default:
		t.Fatalf("unknown kind %q", kind)
	}
	fmt.Printf("gmemory-bytes-per-object: %g\n", per)
}

// memInUse is the measure BenchmarkGMemory uses: live heap objects plus
// goroutine stacks, after a full GC.
func memInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc + ms.StackInuse
}

func noopG(*usched.G) {}

// measureUnstarted: on one P whose M is held by a G waiting for a signal,
// the benchmark goroutine submits gmemN Gs with Runtime.Go; they sit in the
// global queue, unstarted, while it measures. (Spawning them with G.Go from
// one G no longer leaves gmemN unstarted: a spawning loop that outruns its
// P is made to yield once its deque passes 1024 Gs, see m.Spawn. On a
// deque a queued G also takes a ring slot, 8 bytes rounded up to a power
// of two; the global queue is intrusive and adds nothing.) The function is
// a top-level func, so the Gs allocate no closure.
func measureUnstarted(t *testing.T) float64 {
	// Preemption off: with it, the blocked M would be handed off to a
	// spare M, which would start the Gs being measured.
	rt, err := usched.New(usched.Config{Procs: 1, Preempt: usched.PreemptOff})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	hold, held := make(chan struct{}), make(chan struct{})
	rt.Go(func(*usched.G) {
		close(held)
		<-hold // blocks the only M on purpose: nothing else can start
	})
	<-held
	before := memInUse()
	for range gmemN {
		rt.Go(noopG)
	}
	after := memInUse()
	per := (float64(after) - float64(before)) / gmemN
	queued := rt.Stats().GlobalQueueGs
	close(hold)
	if queued != gmemN {
		t.Fatalf("%d Gs queued while measuring, want %d", queued, gmemN)
	}
	if err := rt.Wait(); err != nil {
		t.Fatal(err)
	}
	if st := rt.Stats().Total(); st.RanGs != gmemN+1 {
		t.Fatalf("%d Gs ran, want %d", st.RanGs, gmemN+1)
	}
	return per
}

// measureSuspended: on one P, a root G spawns gmemN children; each child
// counts its arrival, then yields in a loop until stop is set. Unstarted
// children come before suspended ones in the scheduling order, but the test
// does not depend on it: a child resumed early yields again. The last child
// to arrive knows that the other gmemN-1 have started and are suspended in
// Yield; it measures from inside itself (it runs on a scheduler stack, as
// each of the others did before it suspended) and releases them. The
// baseline is taken in the root before it spawns, so the cost includes the
// G descriptor; dividing by gmemN rather than gmemN-1 undercounts by 0.001%.
func measureSuspended(t *testing.T) float64 {
	rt, err := usched.New(usched.Config{Procs: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	var per float64
	var arrived atomic.Int64
	var stop atomic.Bool
	var before uint64
	child := func(c *usched.G) {
		if arrived.Add(1) == gmemN {
			after := memInUse()
			per = (float64(after) - float64(before)) / gmemN
			stop.Store(true)
			return
		}
		for !stop.Load() {
			c.Yield()
		}
	}
	rt.Go(func(gp *usched.G) {
		before = memInUse()
		for range gmemN {
			gp.Go(child)
		}
	})
	if err := rt.Wait(); err != nil {
		t.Fatal(err)
	}
	st := rt.Stats().Total()
	if st.Suspends < gmemN-1 {
		t.Fatalf("only %d suspensions for %d Gs", st.Suspends, gmemN)
	}
	return per
}

// Package-level so that parkOnChan, started with a plain go statement,
// needs no closure.
var (
	parkCh      chan struct{}
	parkStarted sync.WaitGroup
	parkDone    sync.WaitGroup
)

func parkOnChan() {
	parkStarted.Done()
	<-parkCh
	parkDone.Done()
}

// measureParked: gmemN goroutines blocked receiving from one channel.
func measureParked(t *testing.T) float64 {
	parkCh = make(chan struct{})
	parkStarted.Add(gmemN)
	parkDone.Add(gmemN)
	before := memInUse()
	for range gmemN {
		go parkOnChan()
	}
	parkStarted.Wait()
	// Each has run up to its receive; let the last ones reach it (and get
	// their sudog) before measuring.
	waitAllParked(t)
	after := memInUse()
	close(parkCh)
	parkDone.Wait()
	return (float64(after) - float64(before)) / gmemN
}

// measurePull: gmemN bare iter.Pull coroutines, each suspended in its
// first yield. It is the floor for a suspended G: DESIGN.md makes every G
// stack an iter.Pull coroutine (no runtime.newcoro through linkname), and
// this is what one costs before usched adds anything.
func measurePull() float64 {
	nexts := make([]func() (struct{}, bool), 0, gmemN)
	before := memInUse()
	for range gmemN {
		next, _ := iter.Pull(func(yield func(struct{}) bool) { yield(struct{}{}) })
		next() // runs to its first yield and stays there
		nexts = append(nexts, next)
	}
	after := memInUse()
	for _, next := range nexts {
		next() // lets each return, so that its goroutine ends
	}
	return (float64(after) - float64(before)) / gmemN
}

// waitAllParked waits until the goroutine profile shows gmemN goroutines
// in parkOnChan blocked on the channel.
func waitAllParked(t *testing.T) {
	buf := make([]byte, 64<<20)
	for range 100 {
		n := runtime.Stack(buf, true)
		if n == len(buf) {
			t.Fatal("stack dump truncated")
		}
		if c := bytes.Count(buf[:n], []byte("[chan receive")); c >= gmemN {
			return
		}
		runtime.Gosched()
	}
	t.Fatal("goroutines did not all park")
}
