package main

// The profile command: runs another usched command (the workload) in this
// process and samples the Stats of every runtime the workload creates,
// about once a second. It shows the samples as they come (see
// profile_view.go) and, with --report, writes them as an HTML report with
// usched.WriteReport, the call a program uses to profile itself.
//
// In-process, rather than a child process, because Stats is read from the
// runtime's own memory: a separate process would need the workload to
// export its counters, which is what usched.MetricsHandler is for when the
// workload is someone else's program.

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/usched/usched"
)

func init() {
	register(&command{
		name:    "profile",
		summary: "run a workload command in-process and watch its steal rates live; --report out.html writes plots: usched profile -- stress -scenario uts",
		run:     runProfile,
		usage: func(w io.Writer) {
			var cfg profileConfig
			profileUsage(newProfileFlags(&cfg, w))
		},
	})
}

// profileConfig holds the profile command's flags.
type profileConfig struct {
	report   string
	trace    string
	interval time.Duration
}

func newProfileFlags(cfg *profileConfig, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("profile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.report, "report", "", "write an HTML report with plots (steal rate and run queues per P, latency CDF, steal matrix) and the final counters to this file")
	fs.DurationVar(&cfg.interval, "interval", time.Second, "time between samples")
	fs.StringVar(&cfg.trace, "trace", "", "write a Chrome/Perfetto trace (JSON) of each runtime the workload starts to this file (FILE, FILE.2, ...); open it at ui.perfetto.dev")
	fs.Usage = func() { profileUsage(fs) }
	return fs
}

func profileUsage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, `usage: usched profile [--report FILE.html] [--trace FILE.json] [--interval 1s] -- <command> [args]

Runs the usched command after -- (the workload, e.g. "stress -scenario
uts") in this process and samples the counters of each runtime it creates:
when the runtime starts, every --interval, and when the workload is done
with it. On a terminal it shows a view redrawn at each sample (per-P run
queue, Gs run, steals in and out, parks, spins, preemptions, hand-offs
and system calls per second, and the steal matrix as a heat map), and
prints the workload's own output when it ends; elsewhere it prints one
"profile" line per sample between the workload's lines. The exit status
is the workload's.

Flags:
`)
	fs.PrintDefaults()
}

// runProfile implements "usched profile [flags] -- <command> [args]".
func runProfile(args []string, stdout, stderr io.Writer) int {
	var cfg profileConfig
	fs := newProfileFlags(&cfg, stderr)
	dash := slices.Index(args, "--")
	flagArgs := args
	if dash >= 0 {
		flagArgs = args[:dash]
	}
	if err := fs.Parse(flagArgs); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	usageErr := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "usched profile: "+format+"\n", args...)
		fmt.Fprintln(stderr, "usage: usched profile [--report FILE.html] [--trace FILE.json] [--interval 1s] -- <command> [args]")
		return exitUsage
	}
	switch {
	case fs.NArg() > 0:
		return usageErr("unexpected argument %q before --", fs.Arg(0))
	case dash < 0:
		return usageErr("no workload: put the usched command to profile after --, as in: usched profile -- stress -scenario uts")
	case dash == len(args)-1:
		return usageErr("no workload after --")
	case cfg.interval <= 0:
		return usageErr("--interval must be positive, got %v", cfg.interval)
	}
	workload := args[dash+1:]
	switch workload[0] {
	case "profile":
		return usageErr("cannot profile the profile command")
	case "bench":
		// Its experiments run as child processes: nothing to sample here.
		return usageErr("bench runs its experiments in another process; profile them with usched.MetricsHandler or usched.WriteReport in their code")
	}
	if _, ok := commands[workload[0]]; !ok {
		return usageErr("unknown command %q", workload[0])
	}
	// Fail before the workload runs, not after it has run for an hour.
	var report *os.File
	if cfg.report != "" {
		f, err := os.Create(cfg.report)
		if err != nil {
			fmt.Fprintf(stderr, "usched profile: %v\n", err)
			return exitFail
		}
		report = f
		defer report.Close()
	}

	code, samples := profileWorkload(workload, cfg.interval, cfg.trace, stdout, stderr)
	if len(samples) == 0 {
		fmt.Fprintf(stderr, "usched profile: %s started no usched runtime in this process: nothing was sampled\n", workload[0])
	}
	if report != nil {
		title := "usched profile: " + strings.Join(workload, " ")
		err := usched.WriteReport(report, title, samples)
		if err == nil {
			err = report.Close()
		}
		if err != nil {
			fmt.Fprintf(stderr, "usched profile: writing the report: %v\n", err)
			return max(code, exitFail)
		}
		fmt.Fprintf(stdout, "profile: report of %d samples written to %s\n", len(samples), cfg.report)
	}
	return code
}

// profileWorkload runs the workload command with the sampler installed
// as the runtime observer, and returns its exit status and the samples.
func profileWorkload(workload []string, interval time.Duration, trace string, stdout, stderr io.Writer) (int, []usched.Sample) {
	f, isFile := stdout.(*os.File)
	view := &profileView{w: stdout, live: isFile && isTerminal(f)}
	// The workload's stdout: held back on a terminal (the view keeps its
	// last line on screen), passed on line by line elsewhere, so that a
	// sample's line never lands in the middle of one of the workload's.
	var held *tailBuffer
	var lines *lineWriter
	var wout io.Writer
	if view.live {
		held = &tailBuffer{}
		view.tail = held.lastLine
		wout = held
	} else {
		lines = &lineWriter{w: stdout, mu: &view.mu}
		wout = lines
	}
	// Wrapped so that the workload sees no terminal on stderr either: its
	// own progress bar would fight the view for the screen.
	werr := struct{ io.Writer }{stderr}

	s := startSampler(interval, view.show)
	runtimeObserver = s.observe
	if trace != "" {
		runtimeObserver = tracingObserver(trace, s.observe, stdout, stderr)
	}
	code := dispatch(workload, wout, werr)
	runtimeObserver = nil
	samples := s.stop()
	if view.live {
		view.finish(held.String())
	} else {
		lines.flush()
	}
	return code, samples
}

// tailBuffer keeps everything written to it and remembers the last
// line that is not blank. Safe for concurrent use: the workload writes, the view
// reads.
type tailBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	last string
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	data := bytes.TrimRight(t.buf.Bytes(), " \t\r\n")
	if line := bytes.TrimSpace(data[bytes.LastIndexByte(data, '\n')+1:]); len(line) > 0 {
		t.last = string(line)
	}
	return len(p), nil
}

func (t *tailBuffer) lastLine() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}

// lineWriter passes whole lines on to w while holding mu, the lock the
// view holds to print a sample's line.
type lineWriter struct {
	w   io.Writer
	mu  *sync.Mutex
	buf []byte // owned by the writing goroutine (the workload's), then by flush
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	if i := bytes.LastIndexByte(l.buf, '\n'); i >= 0 {
		l.mu.Lock()
		_, err := l.w.Write(l.buf[:i+1])
		l.mu.Unlock()
		l.buf = append(l.buf[:0], l.buf[i+1:]...)
		if err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// flush writes what is left of an unfinished last line.
func (l *lineWriter) flush() {
	if len(l.buf) > 0 {
		l.mu.Lock()
		l.w.Write(l.buf)
		l.mu.Unlock()
		l.buf = nil
	}
}
