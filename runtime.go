package usched

import (
	"errors"

	"github.com/usched/usched/g"
	"github.com/usched/usched/internal/feature"
	"github.com/usched/usched/m"
)

// G is a user task: the argument of every task function. See package g
// for its methods: Go (spawn a child), Yield, Check (the preemption poll)
// and ID. A *G is valid only while its function runs.
type G = g.G

// Group is a fork-join scope: a G spawns children with Go and joins them
// with Wait, which never blocks the M (it runs children inline or
// suspends). A panicking child is reported by Wait as a *PanicError; it
// is not re-raised. The zero Group is ready to use, and costs no
// allocation: it stays on its G's stack. See g.Group, and G.Join for a
// binary split.
type Group = g.Group

// PanicError reports a G that panicked: its ID, the panic value and the
// stack. Use errors.As to get it from the error of Wait.
type PanicError = g.PanicError

// NotRunError reports Gs that were never started because the runtime was
// closed. It wraps ErrClosed.
type NotRunError = g.NotRunError

// ErrClosed is returned by TryGo after Close, and wrapped by NotRunError.
var ErrClosed = g.ErrClosed

// ErrNotSupported is wrapped by the errors of features the system lacks,
// such as Config{Preempt: PreemptEBPF} without CAP_BPF and CAP_PERFMON.
var ErrNotSupported = feature.ErrNotSupported

// ErrInG is returned by Wait and Close when called from a G: waiting there
// would block the M that has to run the Gs being waited for. Use a Group
// to wait from a G.
var ErrInG = errors.New("usched: Wait or Close called from a G; use a Group to wait inside the runtime")

// Runtime is one instance of the scheduler: Procs Ms, each a locked and
// pinned OS thread holding one P. Its methods are safe for concurrent use.
// A G's panic is recovered and reported by Wait (or Group.Wait); it never
// crashes the program.
type Runtime struct {
	s     *m.Sched
	procs int
	cpus  []int
}

// New validates cfg and starts the runtime's Ms. It returns an error that
// says what is wrong for an invalid Config (negative Procs, a CPU outside
// the affinity mask, a CPU listed twice) or when a thread cannot be pinned.
// New raises GOMAXPROCS as the package documentation describes.
func New(cfg Config) (*Runtime, error) {
	mc, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	s, err := m.New(mc)
	if err != nil {
		return nil, err
	}
	return &Runtime{s: s, procs: mc.Procs, cpus: mc.CPUs}, nil
}

// Go submits fn as a new G of class Normal from any goroutine (or from a G, though G.Go is
// cheaper there). It never blocks. After Close, fn is not run: the G is
// counted in Stats().RejectedGs and reported as not run by the next Wait;
// use TryGo to get the error at once.
func (rt *Runtime) Go(fn func(*G)) {
	if err := rt.s.Submit(fn, Normal); err != nil {
		rt.s.RecordRejected()
	}
}

// TryGo is Go that returns ErrClosed, without queueing fn, after Close.
func (rt *Runtime) TryGo(fn func(*G)) error {
	return rt.s.Submit(fn, Normal)
}

// Wait blocks until every G submitted so far, and every G they spawned,
// has finished. It returns nil, or the failures of Gs not in a Group since
// the previous Wait: a *PanicError per panic and a *NotRunError for Gs not
// run after Close, joined by errors.Join when there are several. Called
// from a G, where it would block the M it waits for, it returns ErrInG.
func (rt *Runtime) Wait() error {
	if rt.s.OnM() {
		return ErrInG
	}
	return rt.s.Wait()
}

// Close shuts the runtime down. New submissions are refused (see Go).
// Gs already running, and Gs that have started and suspended, run to
// completion; Gs queued but not started are not run and are reported as
// a *NotRunError (to their Group's Wait, or by Close itself for the
// others), as are children spawned after Close. Close then stops every M;
// when it returns, no goroutine or OS thread of the runtime is left. It
// returns the failures not yet collected by Wait, or ErrClosed if Close was
// already called. For a graceful finish, call Wait before Close. Called
// from a G it returns ErrInG. A G that never returns makes Close wait
// forever, as it would make Wait.
func (rt *Runtime) Close() error {
	if rt.s.OnM() {
		return ErrInG
	}
	return rt.s.Close()
}

// Procs returns the number of Ps.
func (rt *Runtime) Procs() int { return rt.procs }
