package preempt

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestPrivilegedSwitchReaderParks checks where the reporter's goroutine
// waits between bursts: parked in Go's netpoller on the second descriptor
// of the ring buffer, not on a thread blocked in epoll_wait on cilium/ebpf's
// own epoll instance, which costs the Ms (see switchReporter.run). It reads
// which descriptors each epoll instance of the process watches
// (/proc/self/fdinfo) and which system call each thread is blocked in
// (/proc/self/task/*/syscall).
func TestPrivilegedSwitchReaderParks(t *testing.T) {
	src, _, _ := openSwitches(t)
	sw := src.sw
	ring := sw.objs.Swevents.FD()
	wake := -1
	// Not sw.wake.Fd(): that would put the descriptor back in blocking
	// mode.
	if err := sw.rc.Control(func(fd uintptr) { wake = int(fd) }); err != nil {
		t.Fatal(err)
	}

	watching := func(fd int) []int {
		var eps []int
		for ep, fds := range epollTargets(t) {
			for _, f := range fds {
				if f == fd {
					eps = append(eps, ep)
				}
			}
		}
		return eps
	}
	if eps := watching(wake); len(eps) == 0 {
		t.Fatalf("no epoll instance watches the reader's descriptor %d: it is not in Go's netpoller", wake)
	}
	// cilium/ebpf's reader keeps its own instance on the ring buffer; the
	// reporter only polls it (a timeout of 0), so no thread may sleep in
	// it. The goroutine is parked within microseconds of the start, and
	// nothing here makes events: 200 looks over about 0.2 s.
	blockedOn := make(map[int]bool)
	for _, ep := range watching(ring) {
		blockedOn[ep] = true
	}
	for range 200 {
		for tid, ep := range epollWaiters(t) {
			if blockedOn[ep] {
				t.Fatalf("thread %d is blocked in epoll_wait on instance %d, which watches the ring buffer (descriptor %d)", tid, ep, ring)
			}
		}
		time.Sleep(time.Millisecond)
	}
}

// epollTargets returns, for each epoll descriptor of the process, the
// descriptors it watches (the tfd fields of its fdinfo).
func epollTargets(t *testing.T) map[int][]int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	eps := make(map[int][]int)
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err != nil || l != "anon_inode:[eventpoll]" {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc/self/fdinfo", e.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		eps[fd] = []int{}
		for line := range strings.Lines(string(b)) {
			f := strings.Fields(line)
			if len(f) >= 2 && f[0] == "tfd:" {
				if tfd, err := strconv.Atoi(f[1]); err == nil {
					eps[fd] = append(eps[fd], tfd)
				}
			}
		}
	}
	return eps
}

// epollWaiters returns, for each thread of the process blocked in
// epoll_pwait or epoll_pwait2 (Go and cilium/ebpf use these on amd64 and
// arm64), the epoll descriptor it waits on: the first argument, in hex, of
// its /proc syscall line.
func epollWaiters(t *testing.T) map[int]int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	w := make(map[int]int)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/proc/self/task", e.Name(), "syscall"))
		if err != nil {
			continue // exited meanwhile
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			continue // "running"
		}
		nr, err := strconv.Atoi(f[0])
		if err != nil || (nr != unix.SYS_EPOLL_PWAIT && nr != unix.SYS_EPOLL_PWAIT2) {
			continue
		}
		ep, err := strconv.ParseInt(strings.TrimPrefix(f[1], "0x"), 16, 64)
		if err != nil {
			t.Fatalf("thread %s: syscall line %q", e.Name(), b)
		}
		tid, _ := strconv.Atoi(e.Name())
		w[tid] = int(ep)
	}
	return w
}
