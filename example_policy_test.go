package usched_test

import (
	"fmt"
	"strings"

	"github.com/usched/usched"
)

// Under the Priority policy, queued Gs run class by class: Critical, then
// Normal, then Batch, whatever order they were spawned in. (One P and no
// watcher make the order exact; with more Ps each class is still
// work-stealing, and aging lets a worse class through now and then.)
func ExampleRuntime_GoClass() {
	rt, err := usched.New(usched.Config{Procs: 1, Policy: usched.Priority, Preempt: usched.PreemptOff})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()

	var order []string
	rt.GoClass(usched.Critical, func(gp *usched.G) {
		for _, c := range []usched.Class{usched.Batch, usched.Normal, usched.Critical, usched.Batch, usched.Normal} {
			gp.GoClass(c, func(gp *usched.G) { order = append(order, gp.Class().String()) })
		}
	})
	if err := rt.Wait(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Join(order, " "))
	// Output: critical normal normal batch batch
}

// Under the Centralized policy every G joins one FIFO and runs in arrival
// order; a G that yields, or is preempted, goes to the back.
func ExampleConfig_centralized() {
	rt, err := usched.New(usched.Config{Procs: 1, Policy: usched.Centralized})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()

	var order []string
	rt.Go(func(gp *usched.G) {
		for _, name := range []string{"a", "b", "c"} {
			gp.Go(func(*usched.G) { order = append(order, name) })
		}
		gp.Yield() // behind a, b and c
		order = append(order, "parent")
	})
	if err := rt.Wait(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Join(order, " "), "|", rt.Stats().Policy)
	// Output: a b c parent | centralized
}
