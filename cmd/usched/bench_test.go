package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runCmdIn runs the built command with args in dir ("": the current
// directory) and returns its stdout, stderr and exit status.
func runCmdIn(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(uschedBin, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("running usched %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// TestBenchUsage checks the bench command's usage errors and help without
// running an experiment.
func TestBenchUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		code int
		want string // in stderr, or stdout for exit 0
	}{
		{[]string{"bench"}, exitUsage, "usage: usched bench <experiment>"},
		{[]string{"bench", "frob"}, exitUsage, `unknown experiment "frob"`},
		{[]string{"bench", "-h"}, exitOK, "latency"},
		{[]string{"help", "bench"}, exitOK, "usage: usched bench <experiment>"},
	} {
		out, errs, code := runCmdIn(t, ".", tc.args...)
		if code != tc.code {
			t.Errorf("usched %v: exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", tc.args, code, tc.code, out, errs)
		}
		got := errs
		if tc.code == exitOK {
			got = out
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("usched %v: output lacks %q:\nstdout:\n%s\nstderr:\n%s", tc.args, tc.want, out, errs)
		}
	}
	out, _, _ := runCmdIn(t, ".", "help")
	if !strings.Contains(out, "bench") {
		t.Errorf("usched help does not list bench:\n%s", out)
	}
}

// TestBenchNoModule runs the latency experiment from a directory outside
// the repository: it must fail at once, saying what it looked for.
func TestBenchNoModule(t *testing.T) {
	t.Parallel()
	out, errs, code := runCmdIn(t, t.TempDir(), "bench", "latency", "-quick")
	if code != exitFail || !strings.Contains(errs, "cannot find the bench module") {
		t.Errorf("exit status %d (want 1)\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// TestFindBenchDir checks the search on a fake tree: from the root, from
// the bench directory itself, from a subdirectory, and that a bench/ with
// another module's go.mod does not count.
func TestFindBenchDir(t *testing.T) {
	root := t.TempDir()
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "go.mod"), "module github.com/usched/usched\n")
	write(filepath.Join(root, "bench", "go.mod"), "// the benchmarks\nmodule   github.com/usched/usched/bench\n\ngo 1.26\n")
	write(filepath.Join(root, "cmd", "usched", "x.go"), "package main\n")
	bench := filepath.Join(root, "bench")
	for _, from := range []string{root, bench, filepath.Join(root, "cmd", "usched"), filepath.Join(bench)} {
		if got, err := findBenchDir(from); err != nil || got != bench {
			t.Errorf("findBenchDir(%s) = %q, %v; want %s", from, got, err, bench)
		}
	}
	other := t.TempDir()
	write(filepath.Join(other, "bench", "go.mod"), "module example.com/bench\n")
	if got, err := findBenchDir(other); err == nil {
		t.Errorf("findBenchDir found %s under a foreign bench module", got)
	}
}
