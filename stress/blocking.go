package stress

// The blocking mix: about one G in ten blocks its thread in a hooked
// system call, among Gs that compute for a microsecond and Gs that wait
// without blocking their thread. Per thousand Gs, drawn by the seed:
//
//   - 50 pipe readers: each reads, with usched.Read, every byte of one
//     pipe of its own, written in chunks by writer Gs and by an outside
//     goroutine (the feeder) that writes later, with pauses: most
//     readers find the pipe empty and block in read(2).
//   - 50 nanosleepers: usched.Nanosleep for 50 to 200 µs.
//   - 30 pipe writers: one usched.Write of a chunk to a reader's pipe.
//   - 20 mutex users: lock a usched.Mutex 1 to 8 times to add one to a
//     plain counter, some holding it across a G.Yield.
//   - 15 WaitGroup waiters and 15 doers: a waiter waits on its group's
//     usched.WaitGroup, which its doers (Gs) and sometimes the feeder
//     count down.
//   - 10 awaiters: G.Await on a receive from a Go channel the feeder fills.
//   - the rest compute for about a microsecond.
//
// The Gs run in rounds of at most blockRoundGs, each ended by
// Runtime.Wait; a leader G per blockChunk Gs is submitted from outside and
// spawns the others with G.Go.
//
// No deadlock by construction. A G blocked in read(2) holds its M's
// thread: a G suspended on that M can run nowhere else until the call
// returns, and if the hand-off finds no spare M (or preemption is off),
// neither can the M's queued Gs. So a G blocks in the kernel only on what
// comes without any G: the feeder's bytes and the end of a nanosleep; and
// the feeder never waits for a G (each pipe has room for all its chunks,
// the channel for all its values). The waits among Gs (usched.WaitGroup,
// usched.Mutex) suspend the G and free its M, and form no cycle: a reader
// waits for its pipe's writer Gs before it reads (so in read(2) it waits
// for the feeder alone), a waiter for its group's doers, and writers and
// doers wait for nothing; a mutex holder waits only in a Yield.
//
// Besides the common checks:
//
//   - Every byte written was read exactly once: each chunk's bytes carry
//     its number, each reader counts what it read per chunk against what
//     was written, and after each round every pipe must be empty.
//   - Stats.Syscalls counts at least the hooked calls made (reads, writes
//     and nanosleeps, each call counted by the workload).
//   - The mutex-protected counter is exact (and -race sees no race on it).
//   - No WaitGroup wake-up is lost: every waiter resumed, after all of its
//     group's Dones.
//   - Every Await returned with one of the feeder's values, each once.
//
// The hand-off counters (SyscallHandoffs, SyscallStalls, BlockHandoffs)
// are reported, not asserted: whether a call blocked long enough to be
// handed off is timing.
//
// Options.Fault hits only a G that no other G waits for (not a leader, a
// writer or a doer): dropping one of those would leave another G waiting
// for good, a hang for the command's watchdog rather than a broken check.

import (
	"fmt"
	"math/bits"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/usched/usched"
)

var blockingScenario = &Scenario{
	Name:    "blocking",
	Summary: "blocking mix: 10% of Gs block in usched.Read on pipes or usched.Nanosleep, some use Mutex, WaitGroup, Await; all finish",
	prepare: prepareBlocking,
}

const (
	blockRoundGs = 4096 // Gs per round at most
	blockChunk   = 64   // Gs per leader, the leader included
	// blockMaxPipes bounds the readers of a round, each with a pipe of its
	// own: 512 file descriptors, reused from round to round.
	blockMaxPipes = 256
	// A pipe carries at most blockMaxChunks chunks of at most
	// blockMaxChunkBytes: 2 KB, under the one page a pipe gets at least
	// (Linux gives 4 KB when the user's pipe-user-pages-soft is spent), so
	// no write ever blocks.
	blockMaxChunks     = 64
	blockMaxChunkBytes = 32
	// Nanosleeps last blockNanoMin to blockNanoMax µs.
	blockNanoMin = 50
	blockNanoMax = 200
	// blockSpares is Config.MaxSpareMs unless the options set it. A G
	// blocked in read(2) or nanosleep(2) holds its M's thread, and the
	// watcher hands that M's queued Gs to a spare M, which may then block
	// in a call of its own and need another spare: each blocked call holds
	// one M. A round's readers (about 200) mostly start before the feeder
	// has written their bytes and block together, with some nanosleepers.
	// With the default of one spare per P, nearly every one of those calls
	// finds the spares taken, and the scenario would hardly exercise the
	// hand-off and its reclaim (a million Gs on 2 CPUs: about 1,000
	// hand-offs and 54,000 misses; with 64 spares about 23,000 and 8,000).
	// It is not for speed: on 2 CPUs the run takes about as long either
	// way. A miss only delays the Gs queued behind the call: nothing
	// blocked in the kernel waits for a G, so it never deadlocks.
	blockSpares = 64
	// blockMaxMs is usched's bound on Procs + MaxSpareMs (New refuses more).
	blockMaxMs = 256
	// The feeder pauses blockFeedPauses times per round, blockFeedPause
	// each, so that its writes, Dones and sends come while the Gs wait.
	blockFeedPauses = 8
	blockFeedPause  = 200 * time.Microsecond
)

// Kinds of G of the blocking mix.
const (
	bkCompute uint8 = iota
	bkReader
	bkWriter
	bkNanosleep
	bkMutex
	bkWaiter
	bkDoer
	bkAwait
	bkKinds
)

var blockKindNames = [bkKinds]string{"compute G", "pipe reader", "pipe writer", "nanosleeper", "mutex user", "WaitGroup waiter", "WaitGroup doer", "awaiter"}

// blockPerMille is how many Gs of each kind per thousand are drawn; the
// rest compute.
var blockPerMille = [bkKinds]int{bkReader: 50, bkNanosleep: 50, bkWriter: 30, bkMutex: 20, bkWaiter: 15, bkDoer: 15, bkAwait: 10}

// blockG is one G of the mix.
type blockG struct {
	kind  uint8
	lead  bool   // submitted from outside; spawns the next blockChunk-1 Gs of its round
	chunk uint8  // writer: its chunk of the pipe
	arg   uint16 // nanosleeper: µs; mutex user: iterations | yield mask<<8
	round int32
	ref   int32 // reader, writer: the pipe in the round; waiter, doer: the group
}

type blockPipe struct {
	chunks   []uint8 // length of chunk k, whose bytes are all k
	gWriters int     // chunks written by writer Gs; the rest by the feeder
	total    int
}

type blockGroup struct {
	waiters, doers int
	outside        bool // the feeder calls Done once too
}

// feedAction is one thing the feeder does: write chunk k of pipe i, call
// Done on group i, or send value i.
type feedAction struct {
	op uint8
	k  uint8
	i  int32
}

const (
	feedWrite uint8 = iota
	feedDone
	feedSend
)

type blockRound struct {
	members  []int32 // G numbers in spawn order; every blockChunk-th leads
	pipes    []blockPipe
	groups   []blockGroup
	awaiters int
	feed     []feedAction
}

type blockingWorkload struct {
	size   int
	gs     []blockG // by G number
	rounds []*blockRound
	// Drawn totals.
	count           [bkKinds]int
	maxPipes        int
	chunks, gChunks int
	bytes           uint64
	groups          int
	mutexIncs       int
	spares          int
	independent     int

	// Counted while it runs.
	hooked                     atomic.Uint64 // hooked calls made
	reads, writes, nanosleeps  atomic.Uint64
	written, read              atomic.Uint64 // bytes
	mu                         usched.Mutex
	counter                    int // protected by mu
	sum                        atomic.Uint64
	leftover                   uint64 // bytes found in the pipes after a round
	bytesBad, wakesBad, valBad tally
}

// tally counts failures of one check, with a few examples.
type tally struct {
	n        uint64
	examples []string
}

func (t *tally) addf(format string, args ...any) {
	t.n++
	if len(t.examples) < maxExamples {
		t.examples = append(t.examples, fmt.Sprintf(format, args...))
	}
}

func (t *tally) detail(ok string) string {
	if t.n == 0 {
		return ok
	}
	ex := t.examples
	if t.n > uint64(len(ex)) {
		ex = append(ex, fmt.Sprintf("%d in all", t.n))
	}
	return strings.Join(ex, "; ")
}

func prepareBlocking(e *env) workload {
	size := e.opts.Size
	w := &blockingWorkload{size: size, gs: make([]blockG, size)}
	procs := e.opts.Config.Procs
	if procs <= 0 {
		procs = runtime.NumCPU()
	}
	if e.opts.Config.MaxSpareMs == 0 && procs < blockMaxMs {
		e.opts.Config.MaxSpareMs = min(blockSpares, blockMaxMs-procs)
	}
	w.spares = e.opts.Config.MaxSpareMs

	// Draw every G in spawn order, then number them: the Gs no other G
	// waits for first, so that the fault can be kept to them.
	draft := make([]blockG, 0, size)
	for lo := 0; lo < size; lo += blockRoundGs {
		draft = w.drawRound(e, draft, lo, min(lo+blockRoundGs, size))
	}
	for i := range draft {
		if !dependedOn(draft[i]) {
			w.independent++
		}
	}
	indep, dep := int32(0), int32(w.independent)
	pos := 0
	for _, rd := range w.rounds {
		for j := range rd.members {
			g := draft[pos]
			var n int32
			if dependedOn(g) {
				n, dep = dep, dep+1
			} else {
				n, indep = indep, indep+1
			}
			w.gs[n] = g
			rd.members[j] = n
			pos++
		}
	}
	e.newSlots(size)
	e.faultRange = max(1, w.independent)
	e.want.gs = uint64(size)
	e.kind = func(n int) string {
		g := w.gs[n]
		s := fmt.Sprintf("%s of round %d", blockKindNames[g.kind], g.round)
		switch g.kind {
		case bkReader, bkWriter:
			s += fmt.Sprintf(", pipe %d", g.ref)
		case bkWaiter, bkDoer:
			s += fmt.Sprintf(", group %d", g.ref)
		}
		if g.lead {
			s += ", leader"
		}
		return s
	}
	return w
}

// dependedOn reports whether another G may wait for g: a leader spawns
// Gs, a writer's reader and a doer's waiters wait for it.
func dependedOn(g blockG) bool { return g.lead || g.kind == bkWriter || g.kind == bkDoer }

// drawRound draws the Gs [lo, hi) of the workload as a round, appending
// them to draft in spawn order.
func (w *blockingWorkload) drawRound(e *env, draft []blockG, lo, hi int) []blockG {
	rd := &blockRound{members: make([]int32, hi-lo)}
	ri := int32(len(w.rounds))
	base := len(draft)
	var waiters, doers []int
	for j := range hi - lo {
		g := blockG{round: ri, lead: j%blockChunk == 0}
		u := e.rng.IntN(1000)
		for k := range bkKinds {
			if u < blockPerMille[k] {
				g.kind = k
				break
			}
			u -= blockPerMille[k]
		}
		switch g.kind {
		case bkReader:
			if len(rd.pipes) == blockMaxPipes {
				g.kind = bkCompute
				break
			}
			g.ref = int32(len(rd.pipes))
			rd.pipes = append(rd.pipes, blockPipe{})
		case bkNanosleep:
			g.arg = uint16(blockNanoMin + e.rng.IntN(blockNanoMax-blockNanoMin+1))
		case bkMutex:
			iters := 1 + e.rng.IntN(8)
			mask := e.rng.IntN(256) & e.rng.IntN(256) // about one iteration in four yields
			g.arg = uint16(iters | mask<<8)
			w.mutexIncs += iters
			e.want.yieldCalls += uint64(bits.OnesCount(uint(mask) & (1<<iters - 1)))
		case bkWaiter:
			waiters = append(waiters, len(draft))
		case bkDoer:
			doers = append(doers, len(draft))
		case bkAwait:
			rd.awaiters++
		}
		draft = append(draft, g)
	}
	// Writers, now that the round's pipes are known: each writes a chunk
	// to a pipe drawn among them, leaving room for the feeder's.
	for j := base; j < len(draft); j++ {
		g := &draft[j]
		if g.kind != bkWriter {
			continue
		}
		if len(rd.pipes) == 0 {
			g.kind = bkCompute
			continue
		}
		g.ref = int32(e.rng.IntN(len(rd.pipes)))
		p := &rd.pipes[g.ref]
		if len(p.chunks) >= blockMaxChunks-2 {
			g.kind = bkCompute
			continue
		}
		g.chunk = uint8(len(p.chunks))
		p.chunks = append(p.chunks, uint8(1+e.rng.IntN(blockMaxChunkBytes)))
		p.gWriters++
	}
	// The feeder's chunks: one or two per pipe.
	for i := range rd.pipes {
		p := &rd.pipes[i]
		for range 1 + e.rng.IntN(2) {
			rd.feed = append(rd.feed, feedAction{op: feedWrite, i: int32(i), k: uint8(len(p.chunks))})
			p.chunks = append(p.chunks, uint8(1+e.rng.IntN(blockMaxChunkBytes)))
		}
		for _, l := range p.chunks {
			p.total += int(l)
		}
		w.chunks += len(p.chunks)
		w.gChunks += p.gWriters
		w.bytes += uint64(p.total)
	}
	// WaitGroups: about two waiters per group, and as many doers; a group
	// with no doer G is counted down by the feeder.
	if len(waiters)+len(doers) > 0 {
		rd.groups = make([]blockGroup, max(1, len(waiters)/2))
		for _, j := range waiters {
			draft[j].ref = int32(e.rng.IntN(len(rd.groups)))
			rd.groups[draft[j].ref].waiters++
		}
		for _, j := range doers {
			draft[j].ref = int32(e.rng.IntN(len(rd.groups)))
			rd.groups[draft[j].ref].doers++
		}
		for i := range rd.groups {
			gr := &rd.groups[i]
			gr.outside = gr.doers == 0 || e.rng.IntN(2) == 0
			if gr.outside {
				rd.feed = append(rd.feed, feedAction{op: feedDone, i: int32(i)})
			}
		}
		w.groups += len(rd.groups)
	}
	for v := range rd.awaiters {
		rd.feed = append(rd.feed, feedAction{op: feedSend, i: int32(v)})
	}
	e.rng.Shuffle(len(rd.feed), func(a, b int) { rd.feed[a], rd.feed[b] = rd.feed[b], rd.feed[a] })
	for j := base; j < len(draft); j++ {
		w.count[draft[j].kind]++
	}
	w.maxPipes = max(w.maxPipes, len(rd.pipes))
	w.rounds = append(w.rounds, rd)
	return draft
}

func (w *blockingWorkload) describe() string {
	c := &w.count
	return fmt.Sprintf("%d Gs in %d rounds of up to %d: %d pipe readers (%d bytes in %d chunks: %d from %d writer Gs, the rest from an outside goroutine), "+
		"%d nanosleepers (%d-%d µs), %d mutex users (%d increments), %d WaitGroup waiters and %d doers in %d groups, %d awaiters, %d compute Gs; MaxSpareMs %d",
		w.size, len(w.rounds), blockRoundGs, c[bkReader], w.bytes, w.chunks, w.gChunks, c[bkWriter],
		c[bkNanosleep], blockNanoMin, blockNanoMax, c[bkMutex], w.mutexIncs, c[bkWaiter], c[bkDoer], w.groups,
		c[bkAwait], c[bkCompute], w.spares)
}

// blockPipeFDs is one pipe: read end r, write end w (blocking, not in Go's
// poller: the Gs' calls block their threads, which is the point).
type blockPipeFDs struct{ r, w int }

// blockRun is the state of one round while it runs.
type blockRun struct {
	rd     *blockRound
	pipes  []blockPipeFDs
	pipeWG []usched.WaitGroup // per pipe: its writer Gs' chunks
	groups []blockGroupRun
	values chan int32
	got    []atomic.Uint32 // per value: Awaits that received it
}

type blockGroupRun struct {
	wg   usched.WaitGroup
	done atomic.Int32 // Dones called
	woke atomic.Int32 // waiters resumed
	// early counts waiters that resumed before every Done.
	early atomic.Int32
}

func (w *blockingWorkload) run(e *env) {
	pipes := make([]blockPipeFDs, 0, w.maxPipes)
	defer func() {
		for _, p := range pipes {
			unix.Close(p.r)
			unix.Close(p.w)
		}
	}()
	for range w.maxPipes {
		r, wr, err := openPipe()
		if err != nil {
			e.check("pipes opened", false, "pipe after %d pipes: %v", len(pipes), err)
			return
		}
		pipes = append(pipes, blockPipeFDs{r: r, w: wr})
	}
	for ri, rd := range w.rounds {
		br := &blockRun{
			rd: rd, pipes: pipes,
			pipeWG: make([]usched.WaitGroup, len(rd.pipes)),
			groups: make([]blockGroupRun, len(rd.groups)),
			values: make(chan int32, rd.awaiters),
			got:    make([]atomic.Uint32, rd.awaiters),
		}
		// Counted before any G of the round can wait or count down.
		for i, p := range rd.pipes {
			br.pipeWG[i].Add(p.gWriters)
		}
		for i, gr := range rd.groups {
			br.groups[i].wg.Add(gr.doers + btoi(gr.outside))
		}
		var feeder sync.WaitGroup
		feeder.Go(func() { w.feed(e, br) })
		for i := 0; i < len(rd.members); i += blockChunk {
			members := rd.members[i:min(i+blockChunk, len(rd.members))]
			e.submit(func(gp *usched.G) { w.leader(e, gp, br, members) })
		}
		feeder.Wait()
		e.waitErr(fmt.Sprintf("blocking round %d", ri))
		t := time.Now()
		w.checkRound(e, ri, br)
		e.checking += time.Since(t)
	}

	t := time.Now()
	w.finalChecks(e)
	e.checking += time.Since(t)
}

// checkRound checks what a round left: empty pipes, every waiter woken
// after all its Dones, every value received once. Bytes left in a pipe
// are drained (and counted), so that the next round starts clean.
func (w *blockingWorkload) checkRound(e *env, ri int, br *blockRun) {
	rd := br.rd
	for i := range rd.pipes {
		left, err := drain(br.pipes[i].r)
		if err != nil {
			w.bytesBad.addf("round %d pipe %d: %v", ri, i, err)
		}
		if left > 0 {
			w.leftover += uint64(left)
			w.bytesBad.addf("round %d pipe %d: %d bytes left unread", ri, i, left)
		}
	}
	for i, gr := range rd.groups {
		g := &br.groups[i]
		if woke := int(g.woke.Load()); woke != gr.waiters {
			w.wakesBad.addf("round %d group %d: %d of %d waiters resumed", ri, i, woke, gr.waiters)
		}
		if n := g.early.Load(); n > 0 {
			w.wakesBad.addf("round %d group %d: %d waiters resumed before every Done", ri, i, n)
		}
	}
	for v := range br.got {
		if n := br.got[v].Load(); n != 1 {
			w.valBad.addf("round %d: value %d received %d times", ri, v, n)
		}
	}
}

func (w *blockingWorkload) finalChecks(e *env) {
	written, read := w.written.Load(), w.read.Load()
	if written != w.bytes {
		w.bytesBad.addf("%d bytes written, %d drawn", written, w.bytes)
	}
	if read != written-w.leftover {
		w.bytesBad.addf("%d bytes read, but %d written and %d left unread", read, written, w.leftover)
	}
	e.check("every byte written read exactly once", w.bytesBad.n == 0, "%s", w.bytesBad.detail(
		fmt.Sprintf("%d bytes in %d chunks through %d pipes (%d per round at most), each read once", written, w.chunks, w.count[bkReader], w.maxPipes)))

	st := e.rt.Stats()
	tot := st.Total()
	hooked := w.hooked.Load()
	e.check("Syscalls counts the hooked calls", tot.Syscalls >= hooked,
		"Syscalls = %d, hooked calls made = %d (%d reads, %d writes, %d nanosleeps)",
		tot.Syscalls, hooked, w.reads.Load(), w.writes.Load(), w.nanosleeps.Load())

	// After Wait: Runtime.Wait orders every G's Unlock before this read.
	unlocked := w.mu.TryLock()
	if unlocked {
		w.mu.Unlock()
	}
	e.check("mutex-protected counter exact", w.counter == w.mutexIncs && unlocked,
		"counter %d after %d increments under usched.Mutex, unlocked at the end: %v", w.counter, w.mutexIncs, unlocked)
	e.check("no WaitGroup wake-up lost", w.wakesBad.n == 0, "%s", w.wakesBad.detail(
		fmt.Sprintf("%d waiters in %d groups resumed, each after all its Dones", w.count[bkWaiter], w.groups)))
	e.check("every Await received one value", w.valBad.n == 0, "%s", w.valBad.detail(
		fmt.Sprintf("%d values, each received once", w.count[bkAwait])))

	pr := st.Preemption
	e.note("hooked calls: %d, %d handed their M's work to a spare (SyscallHandoffs), %d kept Gs bound to the M waiting (SyscallStalls) for %v in all",
		tot.Syscalls, tot.SyscallHandoffs, tot.SyscallStalls, tot.SyscallStallTime)
	e.note("preemption %s, block detection %s: %d block hand-offs, %d escalation hand-offs, %d found no spare free (MaxSpareMs %d)",
		pr.Mode, pr.BlockDetection, pr.BlockHandoffs, pr.Handoffs, pr.SpareMisses, pr.SpareMs)
}

// feed is the feeder: an outside goroutine that writes its chunks, calls
// its Dones and sends its values in the drawn order, pausing now and then
// so that they come while Gs wait. It never waits for a G.
func (w *blockingWorkload) feed(e *env, br *blockRun) {
	rd := br.rd
	every := max(1, (len(rd.feed)+blockFeedPauses-1)/blockFeedPauses)
	for j, a := range rd.feed {
		if j%every == 0 {
			time.Sleep(blockFeedPause)
		}
		switch a.op {
		case feedWrite:
			data := chunkData(a.k, rd.pipes[a.i].chunks[a.k])
			n, err := writeAll(br.pipes[a.i].w, data)
			w.written.Add(uint64(n))
			if err != nil {
				e.failf("feeder: write of chunk %d to pipe %d: %v", a.k, a.i, err)
			}
		case feedDone:
			g := &br.groups[a.i]
			g.done.Add(1)
			g.wg.Done()
		case feedSend:
			br.values <- a.i // buffered for every value: never blocks
		}
	}
}

// drain reads what is left in the pipe's read end fd without blocking and
// returns how many bytes that was. No G may be reading it.
func drain(fd int) (int, error) {
	if err := unix.SetNonblock(fd, true); err != nil {
		return 0, fmt.Errorf("set non-blocking: %v", err)
	}
	defer unix.SetNonblock(fd, false)
	var buf [512]byte
	left := 0
	for {
		n, err := unix.Read(fd, buf[:])
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return left, nil
		case err != nil:
			return left, fmt.Errorf("read: %v", err)
		case n == 0:
			return left, fmt.Errorf("end of file: the write end is closed")
		}
		left += n
	}
}

// writeAll writes data to fd with write(2), retrying EINTR.
func writeAll(fd int, data []byte) (int, error) {
	for {
		n, err := unix.Write(fd, data)
		if err == unix.EINTR {
			continue
		}
		if err == nil && n != len(data) {
			err = fmt.Errorf("short write: %d of %d bytes", n, len(data))
		}
		return max(n, 0), err
	}
}

// chunkData returns chunk k's bytes: n bytes, all k.
func chunkData(k, n uint8) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = k
	}
	return b
}

func (w *blockingWorkload) leader(e *env, gp *usched.G, br *blockRun, members []int32) {
	n := int(members[0])
	if !e.mark(n) {
		return
	}
	for _, c := range members[1:] {
		gp.Go(func(gp *usched.G) {
			if e.mark(int(c)) {
				w.do(e, gp, br, int(c))
			}
		})
	}
	w.do(e, gp, br, n)
}

// do runs G number n's part, once it has marked itself.
func (w *blockingWorkload) do(e *env, gp *usched.G, br *blockRun, n int) {
	g := w.gs[n]
	switch g.kind {
	case bkCompute:
		w.sum.Add(spinLoop(shortSpin, uint64(n)))
	case bkReader:
		w.reader(e, gp, br, n, g)
	case bkWriter:
		p := br.rd.pipes[g.ref]
		data := chunkData(g.chunk, p.chunks[g.chunk])
		w.hooked.Add(1)
		w.writes.Add(1)
		k, err := usched.Write(gp, br.pipes[g.ref].w, data)
		if err != nil || k != len(data) {
			e.failf("writer G %d: usched.Write of %d bytes to pipe %d returned %d, %v", n, len(data), g.ref, k, err)
		}
		w.written.Add(uint64(max(k, 0)))
		br.pipeWG[g.ref].Done()
	case bkNanosleep:
		d := time.Duration(g.arg) * time.Microsecond
		w.hooked.Add(1)
		w.nanosleeps.Add(1)
		start := time.Now()
		if err := usched.Nanosleep(gp, d); err != nil {
			e.failf("nanosleeper G %d: usched.Nanosleep(%v) returned %v", n, d, err)
		} else if slept := time.Since(start); slept < d {
			e.failf("nanosleeper G %d: usched.Nanosleep(%v) returned after %v", n, d, slept)
		}
	case bkMutex:
		iters, mask := int(g.arg&0xFF), g.arg>>8
		for i := range iters {
			w.mu.Lock(gp)
			w.counter++
			if mask>>i&1 != 0 {
				gp.Yield() // hold the lock across a suspension
			}
			w.mu.Unlock()
		}
	case bkWaiter:
		gr := &br.groups[g.ref]
		gr.wg.Wait(gp)
		want := br.rd.groups[g.ref]
		if int(gr.done.Load()) != want.doers+btoi(want.outside) {
			gr.early.Add(1)
		}
		gr.woke.Add(1)
	case bkDoer:
		w.sum.Add(spinLoop(shortSpin, uint64(n)))
		gr := &br.groups[g.ref]
		gr.done.Add(1)
		gr.wg.Done()
	case bkAwait:
		v := int32(-1)
		gp.Await(func() { v = <-br.values })
		if v < 0 || int(v) >= len(br.got) {
			e.failf("awaiter G %d: received %d, not a value of the round", n, v)
			return
		}
		br.got[v].Add(1)
	}
}

// reader reads every byte of its pipe and checks, per chunk, that it read
// what was written. It waits for its writer Gs first, on a WaitGroup, so
// that in read(2) it waits only for the feeder (see the top of the file).
func (w *blockingWorkload) reader(e *env, gp *usched.G, br *blockRun, n int, g blockG) {
	p := br.rd.pipes[g.ref]
	br.pipeWG[g.ref].Wait(gp)
	buf := make([]byte, p.total)
	got := 0
	for got < p.total {
		w.hooked.Add(1)
		w.reads.Add(1)
		k, err := usched.Read(gp, br.pipes[g.ref].r, buf[got:])
		if err != nil || k <= 0 {
			e.failf("reader G %d: usched.Read on pipe %d after %d of %d bytes returned %d, %v", n, g.ref, got, p.total, k, err)
			break
		}
		got += k
	}
	w.read.Add(uint64(got))
	var count [blockMaxChunks]int
	for _, b := range buf[:got] {
		if int(b) >= len(p.chunks) {
			e.failf("reader G %d: pipe %d carried byte %d, but it has %d chunks", n, g.ref, b, len(p.chunks))
			return
		}
		count[b]++
	}
	for k, l := range p.chunks {
		if count[k] != int(l) {
			e.failf("reader G %d: pipe %d: read %d bytes of chunk %d, %d written", n, g.ref, count[k], k, l)
		}
	}
}
