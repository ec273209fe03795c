package preempt

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestNetpollFile checks the mechanism the sched_switch reader waits with,
// unprivileged, on a pipe: the descriptor netpollFile returns is a second,
// non-blocking one; a Read on its raw connection parks until data arrives
// and then sees it; Close wakes a parked Read with an error; and the
// original descriptor stays open.
func TestNetpollFile(t *testing.T) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])

	f, rc, err := netpollFile(fds[0], "pipe")
	if err != nil {
		t.Fatal(err)
	}
	var nfd int
	if err := rc.Control(func(fd uintptr) { nfd = int(fd) }); err != nil {
		t.Fatal(err)
	}
	if nfd == fds[0] {
		t.Fatalf("netpollFile returned the descriptor it was given (%d), not a second one", nfd)
	}
	flags, err := unix.FcntlInt(uintptr(nfd), unix.F_GETFL, 0)
	if err != nil {
		t.Fatal(err)
	}
	if flags&unix.O_NONBLOCK == 0 {
		t.Fatal("the descriptor is blocking: a wait on it would hold a thread in read")
	}

	// A Read that finds nothing parks; the byte written later wakes it.
	got := make(chan byte, 1)
	go func() {
		var b [1]byte
		err := rc.Read(func(fd uintptr) bool {
			n, _ := unix.Read(int(fd), b[:])
			return n == 1
		})
		if err != nil {
			t.Errorf("Read: %v", err)
		}
		got <- b[0]
	}()
	time.Sleep(10 * time.Millisecond) // let it park first (passes either way)
	if _, err := unix.Write(fds[1], []byte{42}); err != nil {
		t.Fatal(err)
	}
	if b := <-got; b != 42 {
		t.Fatalf("read %d; want 42", b)
	}

	// A parked Read ends with an error when the file is closed: how stop
	// ends the reader.
	done := make(chan error, 1)
	go func() { done <- rc.Read(func(uintptr) bool { return false }) }()
	time.Sleep(10 * time.Millisecond)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Fatal("a Read parked at Close returned no error")
	}
	if _, err := unix.FcntlInt(uintptr(fds[0]), unix.F_GETFD, 0); err != nil {
		t.Fatalf("the original descriptor was closed with the file: %v", err)
	}
}
