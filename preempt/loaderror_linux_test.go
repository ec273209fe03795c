package preempt

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/usched/usched/internal/feature"
)

// TestLoadErrors pins how an error of loading or attaching each BPF
// program is reported: a verifier rejection (which the kernel reports as
// EACCES) is a kernel that cannot run the program, not a lack of
// privilege; EPERM and a bare EACCES are privilege; cilium/ebpf's
// ErrNotSupported is a kernel feature missing; anything else is passed
// on. Every one but the last matches feature.ErrNotSupported, so that New
// falls back to the sysmon watcher and says why. Unprivileged: no program
// is loaded.
func TestLoadErrors(t *testing.T) {
	rejected := &ebpf.VerifierError{Cause: unix.EACCES}
	lacking := fmt.Errorf("map create: %w", ebpf.ErrNotSupported)
	other := errors.New("something else")
	for _, c := range []struct {
		name        string
		classify    func(step string, err error) error
		err         error
		unsupported bool
		want        string // the message, or its beginning where capsNote follows
	}{
		{"tick/rejected", tickNeeds.loadError, rejected, true,
			"usched: eBPF watcher: eBPF not supported (requires >= 5.15): the kernel's verifier rejected quantum_tick; it needs bpf_get_attach_cookie and bpf_send_signal_thread in perf_event programs (step: : permission denied)"},
		{"tick/EPERM", tickNeeds.loadError, fmt.Errorf("x: %w", unix.EPERM), true,
			"usched: eBPF watcher: eBPF not supported: needs CAP_BPF and CAP_PERFMON"},
		{"tick/EACCES", tickNeeds.loadError, unix.EACCES, true,
			"usched: eBPF watcher: eBPF not supported: needs CAP_BPF and CAP_PERFMON"},
		{"tick/lacking", tickNeeds.loadError, lacking, true,
			"usched: eBPF watcher: eBPF not supported (requires >= 5.15): the kernel lacks mmapable array maps, perf_event links or BPF cookies (step: map create: not supported)"},
		{"tick/other", tickNeeds.loadError, other, false,
			"usched: eBPF watcher: step: something else"},
		{"switch/rejected", switchNeeds.loadError, rejected, true,
			"usched: eBPF watcher: eBPF sched_switch reporter not supported (requires >= 5.18): the kernel's verifier rejected on_switch; it needs tp_btf programs, BPF ring buffers and sched_switch's prev_state argument (step: : permission denied)"},
		{"switch/EPERM", switchNeeds.loadError, fmt.Errorf("x: %w", unix.EPERM), true,
			"usched: eBPF watcher: eBPF not supported: needs CAP_BPF and CAP_PERFMON"},
		{"switch/lacking", switchNeeds.loadError, lacking, true,
			"usched: eBPF watcher: eBPF sched_switch reporter not supported (requires >= 5.18): the kernel lacks BTF (CONFIG_DEBUG_INFO_BTF), tp_btf programs or BPF ring buffers (step: map create: not supported)"},
		{"switch/other", switchNeeds.loadError, other, false,
			"usched: eBPF watcher: step: something else"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.classify("step", c.err)
			if got := errors.Is(err, feature.ErrNotSupported); got != c.unsupported {
				t.Errorf("errors.Is(%q, ErrNotSupported) = %v, want %v", err, got, c.unsupported)
			}
			if !errors.Is(err, c.err) && !errors.Is(c.err, unix.EPERM) && !errors.Is(c.err, unix.EACCES) {
				t.Errorf("%q does not wrap the cause %q", err, c.err)
			}
			if got := err.Error(); !strings.HasPrefix(got, c.want) {
				t.Errorf("error %q; want it to begin %q", got, c.want)
			}
		})
	}
}
