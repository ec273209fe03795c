package hook

import (
	"time"

	"golang.org/x/sys/unix"
)

func accept(fd int) (int, unix.Sockaddr, error) { return unix.Accept4(fd, unix.SOCK_CLOEXEC) }

// nanosleep sleeps d in the kernel, going on with the remaining time
// after a signal.
func nanosleep(d time.Duration) error {
	ts := unix.NsecToTimespec(int64(d))
	for {
		if err := unix.Nanosleep(&ts, &ts); err != unix.EINTR {
			return err
		}
	}
}
