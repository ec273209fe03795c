package m

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// blockedThread runs block on a locked thread and returns the thread's ID
// once it is running; release ends the block.
func blockedThread(t *testing.T, block func()) int {
	t.Helper()
	tid := make(chan int)
	go func() {
		runtime.LockOSThread() // dies with the goroutine: the thread is not reused
		tid <- unix.Gettid()
		block()
	}()
	return <-tid
}

// waitFor polls cond until it holds; the limit is a hang guard for a
// thread that never reaches the state, not a timing assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("never saw %s", what)
}

// TestGoOwnWait: a thread blocked in read is not in one of Go's own waits
// (its block must be handed off at once); a thread whose locked goroutine
// waits on a channel sleeps in futex, which is.
func TestGoOwnWait(t *testing.T) {
	var fds [2]int
	require.NoError(t, unix.Pipe2(fds[:], unix.O_CLOEXEC))
	defer unix.Close(fds[1])
	reader := blockedThread(t, func() {
		var b [1]byte
		unix.Read(fds[0], b[:])
		unix.Close(fds[0])
	})
	waitFor(t, "the reader blocked in read", func() bool { return !goOwnWait(reader) })
	_, err := unix.Write(fds[1], []byte{1})
	require.NoError(t, err)

	ch := make(chan struct{})
	waiter := blockedThread(t, func() { <-ch })
	waitFor(t, "the channel waiter in futex", func() bool { return sysnr(waiter) == unix.SYS_FUTEX })
	require.True(t, goOwnWait(waiter))
	close(ch)

	require.True(t, goOwnWait(1<<30), "a thread that does not exist: the cautious answer")
}
