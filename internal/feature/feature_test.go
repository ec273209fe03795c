package feature_test

import (
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/usched/usched/internal/feature"
)

func TestUnsupportedFeatureErrorIs(t *testing.T) {
	var err error = &feature.UnsupportedFeatureError{Name: "bpf_timer", MinimumVersion: "5.15"}
	if !errors.Is(err, feature.ErrNotSupported) {
		t.Errorf("errors.Is(%v, ErrNotSupported) = false, want true", err)
	}
	if wrapped := fmt.Errorf("preempt: %w", err); !errors.Is(wrapped, feature.ErrNotSupported) {
		t.Errorf("errors.Is(%v, ErrNotSupported) = false, want true", wrapped)
	}
	if errors.Is(err, fs.ErrPermission) {
		t.Errorf("errors.Is(%v, fs.ErrPermission) = true, want false", err)
	}
}

func TestUnsupportedFeatureErrorText(t *testing.T) {
	for _, tc := range []struct {
		err  feature.UnsupportedFeatureError
		want string
	}{
		{feature.UnsupportedFeatureError{Name: "x"}, "x not supported"},
		{feature.UnsupportedFeatureError{Name: "x", MinimumVersion: "5.15"}, "x not supported (requires >= 5.15)"},
		{feature.UnsupportedFeatureError{Name: "x", Reason: "needs CAP_BPF"}, "x not supported: needs CAP_BPF"},
		{feature.UnsupportedFeatureError{Name: "x", MinimumVersion: "5.7", Reason: "r"}, "x not supported (requires >= 5.7): r"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%#v.Error() = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// probe returns a probe that answers each call with the next of answers
// (the last one repeated) and counts its calls.
func probe(calls *atomic.Int32, answers ...error) func() error {
	return func() error {
		n := int(calls.Add(1)) - 1
		return answers[min(n, len(answers)-1)]
	}
}

func TestFeatureTestCachesAvailable(t *testing.T) {
	var calls atomic.Int32
	ft := feature.NewFeatureTest("f", "5.1", probe(&calls, nil, feature.ErrNotSupported))
	for range 3 {
		if err := ft.Result(); err != nil {
			t.Fatalf("Result() = %v, want nil", err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("probe ran %d times, want 1", n)
	}
}

func TestFeatureTestCachesNotSupported(t *testing.T) {
	var calls atomic.Int32
	ft := feature.NewFeatureTest("bpf_timer", "5.15", probe(&calls, feature.ErrNotSupported, nil))
	for range 3 {
		err := ft.Result()
		if !errors.Is(err, feature.ErrNotSupported) {
			t.Fatalf("Result() = %v, want ErrNotSupported", err)
		}
		var ufe *feature.UnsupportedFeatureError
		if !errors.As(err, &ufe) {
			t.Fatalf("Result() = %T, want *UnsupportedFeatureError", err)
		}
		want := feature.UnsupportedFeatureError{Name: "bpf_timer", MinimumVersion: "5.15"}
		if *ufe != want {
			t.Fatalf("Result() = %#v, want %#v", *ufe, want)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("probe ran %d times, want 1", n)
	}
}

func TestFeatureTestReason(t *testing.T) {
	wrapped := fmt.Errorf("needs CAP_BPF: %w", feature.ErrNotSupported)
	ft := feature.NewFeatureTest("bpf", "", func() error { return wrapped })
	err := ft.Result()
	var ufe *feature.UnsupportedFeatureError
	if !errors.As(err, &ufe) {
		t.Fatalf("Result() = %T (%v), want *UnsupportedFeatureError", err, err)
	}
	if ufe.Name != "bpf" || ufe.Reason != wrapped.Error() {
		t.Fatalf("Result() = %#v, want Name bpf and Reason %q", *ufe, wrapped.Error())
	}

	// A probe that builds its own error keeps its Reason and gets the
	// FeatureTest's name and version filled in.
	ft = feature.NewFeatureTest("mmap", "5.5", func() error {
		return fmt.Errorf("map: %w", &feature.UnsupportedFeatureError{Reason: "no BPF_F_MMAPABLE"})
	})
	err = ft.Result()
	if !errors.As(err, &ufe) {
		t.Fatalf("Result() = %T (%v), want *UnsupportedFeatureError", err, err)
	}
	want := feature.UnsupportedFeatureError{Name: "mmap", MinimumVersion: "5.5", Reason: "no BPF_F_MMAPABLE"}
	if *ufe != want {
		t.Fatalf("Result() = %#v, want %#v", *ufe, want)
	}
}

func TestFeatureTestRetriesInconclusive(t *testing.T) {
	var calls atomic.Int32
	transient := errors.New("EAGAIN")
	ft := feature.NewFeatureTest("f", "", probe(&calls, transient, transient, nil, feature.ErrNotSupported))
	for i := range 2 {
		err := ft.Result()
		if !errors.Is(err, transient) || errors.Is(err, feature.ErrNotSupported) {
			t.Fatalf("call %d: Result() = %v, want the wrapped inconclusive error", i, err)
		}
	}
	for range 3 {
		if err := ft.Result(); err != nil {
			t.Fatalf("Result() = %v after the probe concluded, want nil", err)
		}
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("probe ran %d times, want 3 (two inconclusive, one conclusive)", n)
	}
}

func TestFeatureTestConcurrent(t *testing.T) {
	var calls atomic.Int32
	ft := feature.NewFeatureTest("f", "", probe(&calls, feature.ErrNotSupported))
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if err := ft.Result(); !errors.Is(err, feature.ErrNotSupported) {
				t.Errorf("Result() = %v, want ErrNotSupported", err)
			}
		})
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("probe ran %d times, want 1", n)
	}
}

func TestNewFeatureTestNilPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("NewFeatureTest with nil fn did not panic")
		}
	}()
	feature.NewFeatureTest("f", "", nil)
}

func ExampleFeatureTest() {
	haveTimer := feature.NewFeatureTest("bpf_timer", "5.15", func() error {
		// A real probe would try to create a BPF program using a timer.
		return feature.ErrNotSupported
	})
	err := haveTimer.Result()
	fmt.Println(errors.Is(err, feature.ErrNotSupported))
	fmt.Println(err)
	// Output:
	// true
	// bpf_timer not supported (requires >= 5.15)
}
