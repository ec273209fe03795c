package main

// --trace: each runtime the workload starts is traced from start to done
// (usched.Runtime.StartTrace, one G in 64 and every steal) and written as
// a Chrome trace: the first to FILE, later ones to FILE.2, FILE.3...

import (
	"fmt"
	"io"
	"os"

	"github.com/usched/usched"
)

// tracingObserver wraps next (the sampler's observer) with tracing.
func tracingObserver(path string, next func(string, *usched.Runtime) func(), stdout, stderr io.Writer) func(string, *usched.Runtime) func() {
	n := 0
	return func(name string, rt *usched.Runtime) func() {
		n++
		file := path
		if n > 1 {
			file = fmt.Sprintf("%s.%d", path, n)
		}
		if err := rt.StartTrace(usched.TraceConfig{}); err != nil {
			fmt.Fprintf(stderr, "usched profile: tracing %s: %v\n", name, err)
		}
		done := next(name, rt)
		return func() {
			done()
			f, err := os.Create(file)
			if err == nil {
				err = rt.StopTrace(f)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				fmt.Fprintf(stderr, "usched profile: writing the trace of %s: %v\n", name, err)
				return
			}
			fmt.Fprintf(stdout, "profile: trace of %s written to %s (open it at ui.perfetto.dev)\n", name, file)
		}
	}
}
