package m

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// goOwnWait reports whether thread tid, blocked, looks blocked in one of
// Go's own waits rather than in a system call a G made: in futex (Go parks
// a thread there for a stop-the-world, a runtime lock, or a locked
// goroutine that waits to get its thread back), or in no system call at
// all (a page fault). It reads /proc/self/task/TID/syscall (about 15 µs);
// when that cannot be read it says true, the cautious answer (wait out
// blockGrace). A G blocked on a Go channel or a sync.Mutex directly also
// waits in futex, and so gets the grace too.
func goOwnWait(tid int) bool {
	nr := sysnr(tid)
	return nr < 0 || nr == unix.SYS_FUTEX
}

// sysnr returns the number of the system call thread tid is blocked in,
// -1 if it is blocked in none (a page fault), or -2 if it runs or cannot
// be read.
func sysnr(tid int) int {
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/syscall")
	if err != nil {
		return -2
	}
	f, _, _ := bytes.Cut(bytes.TrimSpace(b), []byte(" "))
	nr, err := strconv.Atoi(string(f))
	if err != nil {
		return -2 // "running": it is no longer blocked
	}
	return nr
}
