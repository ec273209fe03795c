//go:build !linux

package preempt

import (
	"fmt"
	"syscall"
	"time"

	"github.com/usched/usched/internal/feature"
)

// ebpfSource stands in for the eBPF watcher, which needs Linux; openEBPF
// never returns one.
type ebpfSource struct{}

// openEBPF reports that eBPF needs Linux: the error matches
// feature.ErrNotSupported.
func openEBPF(sig syscall.Signal) (*ebpfSource, []byte, error) {
	return nil, nil, fmt.Errorf("usched: eBPF watcher: %w", &feature.UnsupportedFeatureError{
		Name:   "eBPF",
		Reason: "eBPF needs Linux",
	})
}

func (e *ebpfSource) watch(slot, tid int, quantum time.Duration) error {
	return fmt.Errorf("usched: eBPF watcher: eBPF needs Linux: %w", feature.ErrNotSupported)
}

func (e *ebpfSource) unwatch(slot int) error { return nil }

func (e *ebpfSource) close() error { return nil }

func (e *ebpfSource) startSwitches(fn func(SwitchEvent)) error {
	return fmt.Errorf("usched: eBPF watcher: eBPF needs Linux: %w", feature.ErrNotSupported)
}

func (e *ebpfSource) lostSwitches() (uint64, error) { return 0, nil }
