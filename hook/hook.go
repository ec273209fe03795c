package hook

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/usched/usched/g"
)

// Do runs fn, a blocking call of any kind, as a hooked call of gp: while
// it blocks, gp's P's other Gs run on a spare M.
func Do(gp *g.G, fn func() error) error {
	g.EnterSyscall(gp)
	err := fn()
	g.ExitSyscall(gp)
	return err
}

// Read is read(2) on fd for gp.
func Read(gp *g.G, fd int, p []byte) (int, error) {
	g.EnterSyscall(gp)
	n, err := retry(func() (int, error) { return unix.Read(fd, p) })
	g.ExitSyscall(gp)
	return n, err
}

// Write is write(2) on fd for gp.
func Write(gp *g.G, fd int, p []byte) (int, error) {
	g.EnterSyscall(gp)
	n, err := retry(func() (int, error) { return unix.Write(fd, p) })
	g.ExitSyscall(gp)
	return n, err
}

// Accept is accept(2) on the listening socket fd for gp; on Linux
// accept4(2) with SOCK_CLOEXEC.
func Accept(gp *g.G, fd int) (int, unix.Sockaddr, error) {
	g.EnterSyscall(gp)
	var sa unix.Sockaddr
	nfd, err := retry(func() (int, error) {
		n, s, err := accept(fd)
		sa = s
		return n, err
	})
	g.ExitSyscall(gp)
	return nfd, sa, err
}

// Connect is connect(2) of socket fd to sa for gp.
func Connect(gp *g.G, fd int, sa unix.Sockaddr) error {
	g.EnterSyscall(gp)
	err := unix.Connect(fd, sa)
	g.ExitSyscall(gp)
	return err
}

// Nanosleep blocks gp's thread for d with nanosleep(2), resuming after
// signals. Prefer G.Sleep, which suspends the G and keeps the thread: this
// is for code that must sleep in the kernel.
func Nanosleep(gp *g.G, d time.Duration) error {
	g.EnterSyscall(gp)
	err := nanosleep(d)
	g.ExitSyscall(gp)
	return err
}

// retry repeats a call interrupted by a signal (the escalation signal
// among them) before it did anything.
func retry(call func() (int, error)) (int, error) {
	for {
		n, err := call()
		if err != unix.EINTR {
			return n, err
		}
	}
}
