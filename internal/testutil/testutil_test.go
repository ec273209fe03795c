package testutil_test

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/usched/usched/internal/feature"
	"github.com/usched/usched/internal/testutil"
)

// recorder is a testing.TB that records how a helper ended the test.
// Skip and Fatal end the calling goroutine as the real ones do, so run
// helpers through outcome.
type recorder struct {
	testing.TB // nil: calling anything not overridden panics
	skipped    bool
	failed     bool
	msg        string
}

func (r *recorder) Helper() {}

func (r *recorder) Skip(args ...any) { r.end(&r.skipped, fmt.Sprint(args...)) }
func (r *recorder) Skipf(format string, args ...any) {
	r.end(&r.skipped, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatal(args ...any) { r.end(&r.failed, fmt.Sprint(args...)) }
func (r *recorder) Fatalf(format string, args ...any) {
	r.end(&r.failed, fmt.Sprintf(format, args...))
}

func (r *recorder) end(flag *bool, msg string) {
	*flag, r.msg = true, msg
	runtime.Goexit()
}

// outcome runs helper on a recorder and says how it ended: "pass", "skip"
// or "fail", with the message.
func outcome(helper func(testing.TB)) (string, string) {
	r := new(recorder)
	done := make(chan struct{})
	go func() {
		defer close(done)
		helper(r)
	}()
	<-done
	switch {
	case r.failed:
		return "fail", r.msg
	case r.skipped:
		return "skip", r.msg
	}
	return "pass", ""
}

func TestPrivileged(t *testing.T) {
	for v, want := range map[string]bool{
		"": false, "0": false, "false": false, "1": true, "true": true, "yes": true,
	} {
		t.Setenv(testutil.EnvPrivileged, v)
		if got := testutil.Privileged(); got != want {
			t.Errorf("%s=%q: Privileged() = %v, want %v", testutil.EnvPrivileged, v, got, want)
		}
	}
}

func TestRequireLinux(t *testing.T) {
	got, msg := outcome(testutil.RequireLinux)
	want := "skip"
	if runtime.GOOS == "linux" {
		want = "pass"
	}
	if got != want {
		t.Fatalf("RequireLinux on %s: %s (%q), want %s", runtime.GOOS, got, msg, want)
	}
}

func TestRequireRoot(t *testing.T) {
	for _, tc := range []struct {
		euid       int
		privileged bool
		want       string
	}{
		{0, false, "pass"},
		{0, true, "pass"},
		{1000, false, "skip"},
		{1000, true, "fail"},
	} {
		env := ""
		if tc.privileged {
			env = "1"
		}
		t.Setenv(testutil.EnvPrivileged, env)
		got, msg := outcome(func(tb testing.TB) { testutil.RequireRootAs(tb, tc.euid) })
		if got != tc.want {
			t.Errorf("RequireRoot as euid %d, %s=%q: %s (%q), want %s",
				tc.euid, testutil.EnvPrivileged, env, got, msg, tc.want)
		}
	}
	// The real thing, with the real euid.
	t.Setenv(testutil.EnvPrivileged, "")
	if got, msg := outcome(testutil.RequireRoot); (got == "pass") != (os.Geteuid() == 0) {
		t.Errorf("RequireRoot as euid %d: %s (%q)", os.Geteuid(), got, msg)
	}
}

func TestSkipIfNotSupported(t *testing.T) {
	unsupported := &feature.UnsupportedFeatureError{Name: "bpf_timer", MinimumVersion: "5.15"}
	wrapped := fmt.Errorf("preempt: %w", unsupported)
	other := errors.New("EINVAL")
	for _, tc := range []struct {
		err        error
		privileged bool
		want       string
		msg        string // substring of the message, if any
	}{
		{nil, false, "pass", ""},
		{nil, true, "pass", ""},
		{unsupported, false, "skip", unsupported.Error()},
		{wrapped, false, "skip", wrapped.Error()},
		{unsupported, true, "fail", unsupported.Error()},
		{wrapped, true, "fail", testutil.EnvPrivileged},
		{feature.ErrNotSupported, false, "fail", "bare"},
		{other, false, "fail", "EINVAL"},
		{other, true, "fail", "EINVAL"},
	} {
		env := ""
		if tc.privileged {
			env = "1"
		}
		t.Setenv(testutil.EnvPrivileged, env)
		got, msg := outcome(func(tb testing.TB) { testutil.SkipIfNotSupported(tb, tc.err) })
		if got != tc.want || !strings.Contains(msg, tc.msg) {
			t.Errorf("SkipIfNotSupported(%v) with %s=%q: %s (%q), want %s containing %q",
				tc.err, testutil.EnvPrivileged, env, got, msg, tc.want, tc.msg)
		}
	}
}
