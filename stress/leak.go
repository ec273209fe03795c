package stress

// The check that Close leaves nothing behind: no goroutine, no OS thread
// of the runtime, and GOMAXPROCS as it was.
//
// Goroutines are compared by ID, not by count: Go's os/signal starts one
// goroutine for the life of the process at the first signal.Notify (the
// preemption watcher's signal relay calls it), and that one belongs to Go,
// not to the runtime; every other goroutine that appeared during the run
// must be gone.
//
// Threads are compared by thread ID. Every M of the runtime (spares too)
// is a locked thread that exits when its goroutine ends, and Stats reports
// its TID; each of those must be gone from /proc/self/task. The plain
// count of threads is reported but not held to its value before New: Go
// keeps its own idle threads and never ends them, and it may have started
// some during the run (each M that sleeps in a futex system call lets Go
// hand its P to a new thread), so "as many threads as before" would fail
// for reasons that are Go's, not the runtime's.
//
// Threads exit asynchronously (Close waits for each M's thread, but Go
// ends a goroutine's locked thread after the goroutine is gone), so both
// checks retry for a bounded time before they fail.

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/usched/usched"
)

// leakDeadline bounds the wait for goroutines and threads to go away: far
// longer than an exit takes, short enough to report a real leak quickly.
// Not a timing assertion: a slow machine only waits longer. A variable so
// that the test of the check itself need not wait that long.
var leakDeadline = 10 * time.Second

// procSnapshot is what the process looked like before New.
type procSnapshot struct {
	goroutines map[uint64]bool // IDs of the goroutines alive
	threads    int             // entries of /proc/self/task, -1 if unreadable
	maxprocs   int
}

func snapshotProcess() procSnapshot {
	snap := procSnapshot{goroutines: map[uint64]bool{}, maxprocs: runtime.GOMAXPROCS(0)}
	for _, gr := range goroutineStacks() {
		snap.goroutines[gr.id] = true
	}
	ids := threadIDs()
	snap.threads = len(ids)
	if ids == nil {
		snap.threads = -1
	}
	return snap
}

// mThreads adds the TIDs of every M in st (Ps and spare Ps) to tids.
func mThreads(st usched.Stats, tids []int) []int {
	for _, ps := range append(append([]usched.PStats(nil), st.Ps...), st.SparePs...) {
		if ps.TID != 0 && !slices.Contains(tids, ps.TID) {
			tids = append(tids, ps.TID)
		}
	}
	return tids
}

// checkLeaks checks, after Close, that the goroutines and M threads that
// the run started are gone and that GOMAXPROCS is back to its value before
// New.
func (e *env) checkLeaks(before procSnapshot, tids []int) {
	var left []goroutine
	var threadsLeft []int
	deadline := time.Now().Add(leakDeadline)
	for sleep := 100 * time.Microsecond; ; sleep = min(2*sleep, 50*time.Millisecond) {
		left = newGoroutines(before)
		threadsLeft = threadsAlive(tids)
		if len(left) == 0 && len(threadsLeft) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(sleep)
	}
	var problems []string
	for i, gr := range left {
		if i == maxExamples {
			problems = append(problems, fmt.Sprintf("%d goroutines in all", len(left)))
			break
		}
		problems = append(problems, fmt.Sprintf("goroutine %d outlived Close: %s", gr.id, gr.summary()))
	}
	if len(threadsLeft) > 0 {
		problems = append(problems, fmt.Sprintf("the threads of Ms %v outlived Close", threadsLeft))
	}
	threads := "threads not checked: /proc/self/task is unreadable"
	if before.threads >= 0 {
		threads = fmt.Sprintf("the %d M threads are gone (the process has %d threads, %d before New: Go keeps its own idle ones)",
			len(tids), len(threadIDs()), before.threads)
	}
	e.check("no goroutine or thread left after Close", len(problems) == 0, "%s",
		orDefault(strings.Join(problems, "; "), "no goroutine left; "+threads))
	if got := runtime.GOMAXPROCS(0); got != before.maxprocs {
		e.check("GOMAXPROCS restored by Close", false, "GOMAXPROCS is %d after Close, %d before New", got, before.maxprocs)
	}
}

// newGoroutines returns the goroutines alive now that were not before,
// other than Go's os/signal loop (see the top of the file).
func newGoroutines(before procSnapshot) []goroutine {
	var out []goroutine
	for _, gr := range goroutineStacks() {
		if before.goroutines[gr.id] || gr.current || strings.Contains(gr.stack, "os/signal.loop") {
			continue
		}
		out = append(out, gr)
	}
	return out
}

// goroutine is one goroutine of a runtime.Stack dump.
type goroutine struct {
	id      uint64
	current bool // the goroutine that took the dump
	stack   string
}

// summary returns the goroutine's state and innermost function named in
// this module, or its first function.
func (gr goroutine) summary() string {
	lines := strings.Split(gr.stack, "\n")
	first := strings.TrimSuffix(strings.TrimPrefix(lines[0], "goroutine "), ":")
	fn := ""
	for _, l := range lines[1:] {
		if l == "" || strings.HasPrefix(l, "\t") {
			continue
		}
		if fn == "" {
			fn = l
		}
		if strings.Contains(l, "github.com/usched/usched") {
			fn = l
			break
		}
	}
	return first + " in " + fn
}

// goroutineStacks returns every user goroutine, as runtime.Stack lists
// them (Go's own system goroutines are not among them).
func goroutineStacks() []goroutine {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []goroutine
	for i, block := range bytes.Split(buf, []byte("\n\n")) {
		s := string(block)
		rest, ok := strings.CutPrefix(s, "goroutine ")
		if !ok {
			continue
		}
		idStr, _, _ := strings.Cut(rest, " ")
		id, err := strconv.ParseUint(idStr, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, goroutine{id: id, current: i == 0, stack: s})
	}
	return out
}

// threadIDs returns the IDs of the process's threads, or nil where
// /proc/self/task cannot be read.
func threadIDs() []int {
	entries, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil
	}
	ids := make([]int, 0, len(entries))
	for _, e := range entries {
		if id, err := strconv.Atoi(e.Name()); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// threadsAlive returns those of tids that are threads of the process now.
func threadsAlive(tids []int) []int {
	var out []int
	for _, tid := range tids {
		if _, err := os.Stat("/proc/self/task/" + strconv.Itoa(tid)); err == nil {
			out = append(out, tid)
		}
	}
	return out
}
