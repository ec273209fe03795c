// Package feature defines usched's "not supported" sentinel and a cached
// probe for optional kernel and hardware features (eBPF, bpf_timer,
// mmapable maps, ...), after cilium/ebpf's internal/feature.go.
//
// It is an implementation detail of usched; no compatibility promise. The
// root package re-exports [ErrNotSupported] (usched.ErrNotSupported =
// feature.ErrNotSupported) so that one error value works everywhere
// without an import cycle.
//
// # The probe contract
//
// A probe function returns:
//   - nil: the feature is available;
//   - an error for which errors.Is(err, [ErrNotSupported]) holds: the
//     feature is missing;
//   - any other error: the probe could not decide (for example a
//     transient resource failure); the caller should treat the feature as
//     unavailable for now, and asking again may give a different answer.
//
// [FeatureTest] runs a probe at most once per conclusive answer: it caches
// the first two kinds of result forever and retries after the third.
//
// Like asm, this package is a leaf: it imports nothing from the module.
package feature
