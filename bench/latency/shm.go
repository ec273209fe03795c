package latency

import (
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The shared region of one measurement point, laid out in a memfd that
// both processes map:
//
//	[0, 4096)            header: control words, each on its own cache line
//	[4096, +RingBytes)   the request ring (parent -> child)
//	[..., +8*N)          done[N]: completion time of each request, 0 if none
//
// Who writes what: the parent writes genDone and sent; the child writes
// ready and done[].
type header struct {
	magic   uint64
	_       [56]byte
	ready   atomic.Uint32 // child: executor up, receiver running
	_       [60]byte
	genDone atomic.Uint32 // parent: no more pushes; sent is final
	_       [4]byte
	sent    atomic.Uint64 // parent: requests pushed (the rest were dropped)
}

const (
	headerBytes = 4096
	shmMagic    = 0x75736368_6c617431 // "uschlat1"
)

// region is one process's view of a point's shared memory.
type region struct {
	mem  []byte
	hdr  *header
	ring *Ring
	done []int64
}

func regionBytes(ringCap, n int) int {
	return headerBytes + (RingBytes(ringCap)+63)/64*64 + 8*n
}

// layRegion points the views into mem (mapped by this process).
func layRegion(mem []byte, ringCap, n int) (*region, error) {
	if len(mem) < regionBytes(ringCap, n) {
		return nil, fmt.Errorf("latency: shared region is %d bytes, want %d", len(mem), regionBytes(ringCap, n))
	}
	ringOff := headerBytes
	doneOff := ringOff + (RingBytes(ringCap)+63)/64*64
	ring, err := NewRing(mem[ringOff:doneOff], ringCap)
	if err != nil {
		return nil, err
	}
	return &region{
		mem:  mem,
		hdr:  (*header)(unsafe.Pointer(unsafe.SliceData(mem))),
		ring: ring,
		done: unsafe.Slice((*int64)(unsafe.Pointer(&mem[doneOff])), n),
	}, nil
}

// createRegion makes a fresh memfd of the right size and maps it; the
// returned file is what the child inherits.
func createRegion(ringCap, n int) (*region, *os.File, error) {
	size := regionBytes(ringCap, n)
	fd, err := unix.MemfdCreate("usched-latency", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, nil, fmt.Errorf("latency: memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "usched-latency-shm")
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("latency: sizing the shared region: %w", err)
	}
	r, err := mapRegion(fd, ringCap, n)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	r.hdr.magic = shmMagic
	return r, f, nil
}

// mapRegion maps an existing region. MAP_POPULATE faults every page in
// now, so that the first touch of a ring slot or a done word during the
// measurement is not a page fault.
func mapRegion(fd, ringCap, n int) (*region, error) {
	mem, err := unix.Mmap(fd, 0, regionBytes(ringCap, n), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("latency: mapping the shared region: %w", err)
	}
	r, err := layRegion(mem, ringCap, n)
	if err != nil {
		unix.Munmap(mem)
		return nil, err
	}
	return r, nil
}

func (r *region) unmap() error { return unix.Munmap(r.mem) }
