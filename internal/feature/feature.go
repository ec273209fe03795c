package feature

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// ErrNotSupported indicates that a feature is not supported by the kernel,
// the hardware or the privileges of the process. Test for it with
// errors.Is: it usually arrives wrapped, most often in an
// [*UnsupportedFeatureError].
var ErrNotSupported = errors.New("not supported")

// UnsupportedFeatureError reports that a named feature is missing. It
// matches [ErrNotSupported] under errors.Is. [FeatureTest.Result] returns
// one for every probe that concluded the feature is missing.
type UnsupportedFeatureError struct {
	// Name of the feature, e.g. "bpf_timer".
	Name string
	// MinimumVersion is the first Linux version that has the feature,
	// e.g. "5.15", or "" if it does not depend on a version.
	MinimumVersion string
	// Reason says why the feature is missing here, when the probe knows
	// more than "not supported" (e.g. "needs CAP_BPF"); may be "".
	Reason string
}

// Error returns "NAME not supported (requires >= VERSION): REASON", leaving
// out the parts that are empty.
func (e *UnsupportedFeatureError) Error() string {
	msg := e.Name + " not supported"
	if e.MinimumVersion != "" {
		msg += " (requires >= " + e.MinimumVersion + ")"
	}
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// Is reports whether target is [ErrNotSupported], so that
// errors.Is(err, ErrNotSupported) holds for every UnsupportedFeatureError.
func (e *UnsupportedFeatureError) Is(target error) bool {
	return target == ErrNotSupported
}

// FeatureTest runs a probe (see the package documentation for its
// contract) and caches its answer once it is conclusive. Create one with
// [NewFeatureTest], typically as a package-level variable:
//
//	var haveBPFTimer = feature.NewFeatureTest("bpf_timer", "5.15", probeBPFTimer)
//
// A FeatureTest is safe for concurrent use; it must not be copied.
type FeatureTest struct {
	name       string
	minVersion string
	fn         func() error

	// done is set, with release semantics, once result holds a
	// conclusive answer; after that neither changes. Readers that see
	// done see result.
	done atomic.Bool
	// mu serialises runs of fn, so that concurrent first callers run
	// the probe once and all get its answer.
	mu     sync.Mutex
	result error // protected by mu until done is set, read-only after
}

// NewFeatureTest returns a FeatureTest for the feature called name, which
// appeared in Linux minVersion ("" if that means nothing for it), decided
// by fn. fn is not called until the first [FeatureTest.Result].
//
// Panics if fn is nil.
func NewFeatureTest(name, minVersion string, fn func() error) *FeatureTest {
	if fn == nil {
		panic("feature: NewFeatureTest(" + name + ") with nil fn")
	}
	return &FeatureTest{name: name, minVersion: minVersion, fn: fn}
}

// Result reports whether the feature is available: nil if it is, an
// [*UnsupportedFeatureError] (which matches [ErrNotSupported]) if it is
// missing, or another error, wrapping the probe's, if the probe could not
// decide.
//
// The first conclusive answer is cached and returned by every later call
// at the cost of one atomic load. After an inconclusive answer, the next
// call runs the probe again. Calls made while the probe runs wait for it.
func (ft *FeatureTest) Result() error {
	if ft.done.Load() {
		return ft.result
	}

	ft.mu.Lock()
	defer ft.mu.Unlock()
	// Another caller may have concluded while we waited for mu.
	if ft.done.Load() {
		return ft.result
	}

	err := ft.fn()
	switch {
	case err == nil:
		// ft.result is already nil.
	case errors.Is(err, ErrNotSupported):
		ft.result = ft.unsupported(err)
	default:
		// Inconclusive: do not cache, so the next call probes again.
		return fmt.Errorf("detect support for %s: %w", ft.name, err)
	}
	ft.done.Store(true)
	return ft.result
}

// unsupported turns the probe's "not supported" error into the cached
// *UnsupportedFeatureError, keeping what the probe said as the Reason.
func (ft *FeatureTest) unsupported(err error) *UnsupportedFeatureError {
	var ufe *UnsupportedFeatureError
	if errors.As(err, &ufe) {
		// The probe already built one; fill in what it left out.
		e := *ufe
		if e.Name == "" {
			e.Name = ft.name
		}
		if e.MinimumVersion == "" {
			e.MinimumVersion = ft.minVersion
		}
		return &e
	}
	e := &UnsupportedFeatureError{Name: ft.name, MinimumVersion: ft.minVersion}
	if err != ErrNotSupported {
		e.Reason = err.Error()
	}
	return e
}
