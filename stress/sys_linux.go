package stress

import "golang.org/x/sys/unix"

// threadID returns the calling thread's ID.
func threadID() int { return unix.Gettid() }

// openPipe returns a new blocking pipe, closed on exec.
func openPipe() (r, w int, err error) {
	var fds [2]int
	err = unix.Pipe2(fds[:], unix.O_CLOEXEC)
	return fds[0], fds[1], err
}
