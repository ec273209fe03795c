package bench

import (
	"testing"

	"github.com/usched/usched"
)

// newRuntime starts a runtime for one run of a benchmark function and
// closes it when that run ends. Call it before b.ResetTimer.
func newRuntime(b *testing.B, cfg usched.Config) *usched.Runtime {
	b.Helper()
	rt, err := usched.New(cfg)
	if err != nil {
		b.Fatalf("usched.New(%+v): %v", cfg, err)
	}
	b.Cleanup(func() {
		if err := rt.Close(); err != nil {
			b.Errorf("Close: %v", err)
		}
	})
	return rt
}
