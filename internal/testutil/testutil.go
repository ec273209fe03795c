package testutil

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/usched/usched/internal/feature"
)

// EnvPrivileged is the environment variable that marks a privileged test
// run. Set to a true value ("1", "true"; anything but "", "0", "false" and
// the other spellings strconv.ParseBool reads as false), it turns the skips
// of [RequireRoot] and [SkipIfNotSupported] into failures.
const EnvPrivileged = "USCHED_PRIVILEGED_TESTS"

// Privileged reports whether [EnvPrivileged] asks for a privileged run.
// An unreadable value counts as true: someone meant to set it.
func Privileged() bool {
	v := os.Getenv(EnvPrivileged)
	if v == "" {
		return false
	}
	on, err := strconv.ParseBool(v)
	return on || err != nil
}

// RequireLinux skips the test unless it runs on Linux. It skips even in a
// privileged run: a missing OS is a fact of the build, not of the machine.
func RequireLinux(tb testing.TB) {
	tb.Helper()
	if runtime.GOOS != "linux" {
		tb.Skipf("needs Linux, running on %s", runtime.GOOS)
	}
}

// RequireRoot skips the test unless the effective user ID is 0. In a
// privileged run ([Privileged]) it fails the test instead.
func RequireRoot(tb testing.TB) {
	tb.Helper()
	requireRoot(tb, os.Geteuid())
}

func requireRoot(tb testing.TB, euid int) {
	tb.Helper()
	if euid == 0 {
		return
	}
	if Privileged() {
		tb.Fatalf("needs root, running as euid %d, but %s is set: run with go test -exec 'sudo -E'", euid, EnvPrivileged)
	}
	tb.Skipf("needs root, running as euid %d", euid)
}

// SkipIfNotSupported ends the test according to err, the answer of a
// feature probe or of an operation that needs a feature:
//   - nil: returns, and the test goes on;
//   - errors.Is(err, feature.ErrNotSupported): skips, with err's text as
//     the reason; in a privileged run ([Privileged]) fails instead;
//   - any other error: fails the test with it.
//
// It also fails on a bare feature.ErrNotSupported, whose text ("not
// supported") would make a skip without a reason: wrap it, or return a
// *feature.UnsupportedFeatureError, to name what is missing.
func SkipIfNotSupported(tb testing.TB, err error) {
	tb.Helper()
	switch {
	case err == nil:
		return
	case err == feature.ErrNotSupported:
		tb.Fatalf("bare %q: wrap feature.ErrNotSupported to say which feature is missing", err)
	case errors.Is(err, feature.ErrNotSupported):
		if Privileged() {
			tb.Fatalf("%v, but %s is set: a privileged run must not skip", err, EnvPrivileged)
		}
		tb.Skip(err.Error())
	default:
		tb.Fatal(err)
	}
}
