// Command usched drives the usched runtime from the command line: stress
// scenarios with invariant checks (stress), a live steal-rate profile of
// any of its workloads with an HTML report and a trace (profile), and the
// bench module's experiments (bench).
//
// Usage:
//
//	usched <command> [flags]
//
// Each command lives in a file of its own that registers itself with
// register in an init function; main only dispatches. A command returns its
// exit status instead of calling os.Exit, so that deferred cleanup (closing
// the runtime, restoring the terminal line) always runs.
//
// Exit status: 0 on success, 1 when a command ran and failed (a broken
// invariant, a runtime error), 2 for a usage error.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Exit statuses shared by every command.
const (
	exitOK    = 0 // the command ran and passed
	exitFail  = 1 // the command ran and found a failure
	exitUsage = 2 // bad command line
)

// command is one subcommand. run receives the arguments after the command
// name and returns the exit status.
type command struct {
	name    string
	summary string // one line, shown by "usched help"
	run     func(args []string, stdout, stderr io.Writer) int
	// usage prints the command's own help (its flags) to w.
	usage func(w io.Writer)
}

// commands holds every registered subcommand by name; written only by
// register, from init functions.
var commands = map[string]*command{}

// register adds cmd to the dispatch table. Called from the init function
// of the command's file; a duplicate name is a programming error.
func register(cmd *command) {
	if _, dup := commands[cmd.name]; dup {
		panic("usched: command " + cmd.name + " registered twice")
	}
	commands[cmd.name] = cmd
}

func init() {
	register(&command{
		name:    "help",
		summary: "show this help, or a command's flags: usched help <command>",
		run:     runHelp,
		usage:   func(w io.Writer) { usage(w) },
	})
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// dispatch runs the command named by args[0] and returns the exit status.
func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "usched: unknown command %q\n\n", name)
		usage(stderr)
		return exitUsage
	}
	return cmd.run(args[1:], stdout, stderr)
}

// runHelp implements "usched help [command]".
func runHelp(args []string, stdout, stderr io.Writer) int {
	switch len(args) {
	case 0:
		usage(stdout)
		return exitOK
	case 1:
		cmd, ok := commands[args[0]]
		if !ok {
			fmt.Fprintf(stderr, "usched help: unknown command %q\n\n", args[0])
			usage(stderr)
			return exitUsage
		}
		cmd.usage(stdout)
		return exitOK
	}
	fmt.Fprintln(stderr, "usage: usched help [command]")
	return exitUsage
}

// usage prints the list of commands to w.
func usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	width := 0
	for name := range commands {
		names = append(names, name)
		width = max(width, len(name))
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("usched drives the usched work-stealing task runtime.\n\n")
	b.WriteString("Usage:\n\n\tusched <command> [flags]\n\nCommands:\n\n")
	for _, name := range names {
		fmt.Fprintf(&b, "\t%-*s  %s\n", width, name, commands[name].summary)
	}
	b.WriteString("\nRun \"usched help <command>\" for a command's flags.\n")
	io.WriteString(w, b.String())
}
