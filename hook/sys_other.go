//go:build !linux

package hook

import (
	"time"

	"golang.org/x/sys/unix"
)

func accept(fd int) (int, unix.Sockaddr, error) { return unix.Accept(fd) }

// nanosleep sleeps d; outside Linux through Go's timer (the M still holds
// its thread, as with a real nanosleep).
func nanosleep(d time.Duration) error {
	time.Sleep(d)
	return nil
}
