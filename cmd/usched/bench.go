package main

// The bench command runs the experiments of the bench module, which is a
// module of its own (github.com/usched/usched/bench) so that its peers
// (pebble, gonum/plot, the worker pools) never enter usched's go.mod. This
// file therefore imports nothing from it: it finds the module's directory
// and runs the experiment's command there with the go tool, as
//
//	cd bench && go run ./cmd/<experiment> <args>
//
// would, except that it builds and runs in two steps so that the
// experiment's own exit status (2 for a usage error) reaches the caller;
// go run turns every failure into 1.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// benchModule is the module path the bench directory's go.mod declares.
const benchModule = "github.com/usched/usched/bench"

// benchExperiments maps each experiment to its command's package in the
// bench module, and a one-line summary.
var benchExperiments = map[string]struct{ pkg, summary string }{
	"latency": {"./cmd/latency", "tail latency of short requests behind long ones: usched with and without preemption, goroutines, a FIFO pool (issue 3)"},
}

func init() {
	register(&command{
		name:    "bench",
		summary: "run an experiment of the bench module: usched bench latency [flags]",
		run:     runBench,
		usage:   benchUsage,
	})
}

func benchUsage(w io.Writer) {
	names := make([]string, 0, len(benchExperiments))
	for name := range benchExperiments {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("usage: usched bench <experiment> [flags]\n\n")
	b.WriteString("Builds the experiment's command in the bench module (./bench from the\n")
	b.WriteString("repository root, found from the current directory or one above it) and\n")
	b.WriteString("runs it there, streaming its output; its flags follow the experiment's\n")
	b.WriteString("name (\"usched bench latency -h\" lists them). It runs in the bench\n")
	b.WriteString("directory, so a relative -out path is relative to bench/.\n\nExperiments:\n\n")
	for _, name := range names {
		fmt.Fprintf(&b, "\t%s  %s\n", name, benchExperiments[name].summary)
	}
	io.WriteString(w, b.String())
}

// runBench implements "usched bench <experiment> [flags]".
func runBench(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		benchUsage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		benchUsage(stdout)
		return exitOK
	}
	exp, ok := benchExperiments[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "usched bench: unknown experiment %q\n\n", args[0])
		benchUsage(stderr)
		return exitUsage
	}
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(stderr, "usched bench: %v\n", err)
		return exitFail
	}
	dir, err := findBenchDir(wd)
	if err != nil {
		fmt.Fprintf(stderr, "usched bench: %v\n", err)
		return exitFail
	}
	tmp, err := os.MkdirTemp("", "usched-bench-")
	if err != nil {
		fmt.Fprintf(stderr, "usched bench: %v\n", err)
		return exitFail
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, args[0])
	build := exec.Command("go", "build", "-o", bin, exp.pkg)
	build.Dir, build.Stdout, build.Stderr = dir, stdout, stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(stderr, "usched bench: building %s in %s: %v\n", exp.pkg, dir, err)
		return exitFail
	}
	run := exec.Command(bin, args[1:]...)
	run.Dir, run.Stdin, run.Stdout, run.Stderr = dir, os.Stdin, stdout, stderr
	err = run.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee) && ee.ExitCode() > 0:
		return ee.ExitCode() // the experiment's own status: 1 failed, 2 usage
	}
	fmt.Fprintf(stderr, "usched bench: running %s: %v\n", args[0], err)
	return exitFail
}

// findBenchDir returns the bench module's directory: dir itself if it is
// the bench module, else dir/bench, else the same in each directory above
// dir (so that it works from anywhere inside the repository).
func findBenchDir(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		for _, cand := range []string{d, filepath.Join(d, "bench")} {
			if modulePath(filepath.Join(cand, "go.mod")) == benchModule {
				return cand, nil
			}
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("cannot find the bench module (a go.mod declaring %s) in %s, its bench/ subdirectory, or any directory above; run this from the usched repository", benchModule, dir)
}

// modulePath returns the module path a go.mod declares, or "" if the file
// is missing or has no module line.
func modulePath(gomod string) string {
	f, err := os.Open(gomod)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}
