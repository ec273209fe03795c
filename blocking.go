package usched

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/usched/usched/g"
	"github.com/usched/usched/hook"
)

// Mutex is a mutual exclusion lock for Gs: Lock suspends the G (never its
// M) while another holds it, and hands the lock over in FIFO order. The
// zero Mutex is unlocked. Unlock may be called from any G or goroutine.
// See g.Mutex.
type Mutex = g.Mutex

// WaitGroup is sync.WaitGroup for Gs: Wait suspends the G, never its M.
// Add and Done may be called from anywhere. See g.WaitGroup.
type WaitGroup = g.WaitGroup

// Blocking calls from a G. A G that calls a blocking system call directly
// holds its M's thread, and the P's other Gs wait for it until the
// preemption watcher notices (with eBPF, as soon as the thread blocks;
// with sysmon, at its next tick). These wrappers tell the runtime first,
// so that the hand-off to a spare M is immediate where the watcher can see
// the thread block, and cheap where the call does not block. To wait on a
// Go channel, a sync.Mutex or any Go API from a G, use G.Await; to sleep,
// G.Sleep.

// Read is read(2) for the running G gp.
func Read(gp *G, fd int, p []byte) (int, error) { return hook.Read(gp, fd, p) }

// Write is write(2) for the running G gp.
func Write(gp *G, fd int, p []byte) (int, error) { return hook.Write(gp, fd, p) }

// Accept is accept4(2) with SOCK_CLOEXEC for the running G gp.
func Accept(gp *G, fd int) (int, unix.Sockaddr, error) { return hook.Accept(gp, fd) }

// Connect is connect(2) for the running G gp.
func Connect(gp *G, fd int, sa unix.Sockaddr) error { return hook.Connect(gp, fd, sa) }

// Nanosleep is nanosleep(2) for the running G gp: it blocks the thread
// (its P's other Gs move to a spare M). Prefer G.Sleep, which does not.
func Nanosleep(gp *G, d time.Duration) error { return hook.Nanosleep(gp, d) }

// Syscall runs fn, any blocking call, as a hooked call of the running G
// gp, and returns its error.
func Syscall(gp *G, fn func() error) error { return hook.Do(gp, fn) }
