package bench

import (
	"bytes"
	"os"
	"strconv"
	"testing"
)

// machineSwitches returns the context switches of the whole machine so
// far (the ctxt line of /proc/stat), or -1 where there is no such file.
// The machine's, not the process's: the threads a run wakes include the
// kernel's, and a 2-CPU VM runs little else.
func machineSwitches() int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return -1
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("ctxt ")); ok {
			n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}

// reportSwitches reports the context switches per op since start (a
// machineSwitches reading), if the machine counts them.
func reportSwitches(b *testing.B, start int64) {
	if end := machineSwitches(); start >= 0 && end >= 0 {
		b.ReportMetric(float64(end-start)/float64(b.N), "switches/op")
	}
}
