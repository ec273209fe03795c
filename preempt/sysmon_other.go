//go:build !linux

package preempt

import "time"

func prepareSysmonThread(cpu int) {}

func nanosleep(d time.Duration) { time.Sleep(d) }

// anonTable allocates the table in Go's heap: only Linux maps it.
func anonTable(n int) (*Table, error) {
	return newTable(make([]byte, n*SlotSize), n, nil)
}
