//go:build !linux

package stress

import "golang.org/x/sys/unix"

// threadID returns 0: outside Linux no thread ID is at hand, and the
// sleep scenario's check that a G wakes on its own thread holds trivially.
func threadID() int { return 0 }

// openPipe returns a new blocking pipe, closed on exec.
func openPipe() (r, w int, err error) {
	var fds [2]int
	if err = unix.Pipe(fds[:]); err != nil {
		return 0, 0, err
	}
	unix.CloseOnExec(fds[0])
	unix.CloseOnExec(fds[1])
	return fds[0], fds[1], nil
}
