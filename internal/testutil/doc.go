// Package testutil holds helpers that usched's tests use to skip, or
// refuse to skip, when the environment lacks something they need.
//
// It is an implementation detail of usched; no compatibility promise. Only
// _test.go files may import it (deps_test.go at the module root enforces
// this).
//
// # Skips must be justified
//
// A test that skips because the machine lacks root or a kernel feature
// proves nothing. So, following cilium/ebpf, privileged CI sets
// USCHED_PRIVILEGED_TESTS=1 (see [EnvPrivileged]), runs as root
// (go test -exec 'sudo -E') on a kernel that has every feature, and there
// [RequireRoot] and [SkipIfNotSupported] fail the test where they would
// otherwise skip it. Developers without root run the same tests and see
// them skip, each with its reason.
package testutil
