package main

// How "usched profile" gets hold of the runtimes a workload command
// creates. The workload runs in the same process, and each workload
// command that creates usched runtimes reports them through
// observeRuntime; package stress need not know about profiling, since
// its Options.Watch already hands the command each runtime it starts.

import "github.com/usched/usched"

// runtimeObserver, when not nil, is told of each runtime a workload
// command starts (name says which part of the workload it runs) and
// returns the function to call when the workload is done with it, while
// it is still open. Written by runProfile before it runs the workload and
// reset after; read by the workload's commands on that same goroutine, so
// it needs no lock.
var runtimeObserver func(name string, rt *usched.Runtime) (done func())

// observeRuntime tells the observer, if there is one, that rt has
// started, and returns what to call once the workload is done with rt.
func observeRuntime(name string, rt *usched.Runtime) (done func()) {
	if runtimeObserver == nil {
		return func() {}
	}
	return runtimeObserver(name, rt)
}
