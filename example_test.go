package usched_test

import (
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/usched/usched"
)

// A runtime runs Gs submitted from plain goroutines; Wait returns when all
// of them, and everything they spawned, have finished.
func ExampleNew() {
	rt, err := usched.New(usched.Config{}) // one pinned M per CPU
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()

	var sum atomic.Int64
	for i := 1; i <= 100; i++ {
		rt.Go(func(*usched.G) { sum.Add(int64(i)) })
	}
	if err := rt.Wait(); err != nil {
		fmt.Println(err)
	}
	fmt.Println(sum.Load())
	// Output: 5050
}

// A G spawns children with G.Go; they run on its P or are stolen by idle
// Ps. Runtime.Wait waits for the whole tree.
func ExampleRuntime_Go() {
	rt, err := usched.New(usched.Config{Procs: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()

	var leaves atomic.Int64
	rt.Go(func(gp *usched.G) {
		for range 1000 {
			gp.Go(func(*usched.G) { leaves.Add(1) })
		}
	})
	_ = rt.Wait()
	st := rt.Stats().Total()
	fmt.Println(leaves.Load(), st.RanGs)
	// Output: 1000 1001
}

// fib forks a child for fib(n-1), computes fib(n-2) itself and joins. The
// join runs the child inline unless another P stole it, so forking is about
// as cheap as a function call.
func fib(gp *usched.G, n int) int {
	if n < 2 {
		return n
	}
	var grp usched.Group
	var x int
	grp.Go(gp, func(c *usched.G) { x = fib(c, n-1) })
	y := fib(gp, n-2)
	if err := grp.Wait(gp); err != nil {
		panic(err)
	}
	return x + y
}

// Group is fork-join inside the runtime: nested to any depth, it never
// blocks an M.
func ExampleGroup() {
	rt, err := usched.New(usched.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()

	var result int
	rt.Go(func(gp *usched.G) { result = fib(gp, 20) })
	_ = rt.Wait()
	fmt.Println(result)
	// Output: 6765
}

// Join is the binary fork-join: b is forked (another P may take it) while
// a runs inline, and Join returns once both have finished. It allocates
// no Group, and a does not escape, so what a captures stays on the stack.
func ExampleG_Join() {
	rt, err := usched.New(usched.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()

	var fib func(gp *usched.G, n int) int
	fib = func(gp *usched.G, n int) int {
		if n < 2 {
			return n
		}
		var x, y int
		err := gp.Join(
			func(c *usched.G) { y = fib(c, n-2) }, // inline
			func(c *usched.G) { x = fib(c, n-1) }, // forked
		)
		if err != nil { // a panic in either half, as a *usched.PanicError
			panic(err)
		}
		return x + y
	}
	var result int
	rt.Go(func(gp *usched.G) { result = fib(gp, 20) })
	_ = rt.Wait()
	fmt.Println(result)
	// Output: 6765
}

// A panicking G is recovered and reported to its waiter as a *PanicError;
// the runtime keeps going.
func ExampleGroup_panic() {
	rt, err := usched.New(usched.Config{Procs: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()

	rt.Go(func(gp *usched.G) {
		var grp usched.Group
		grp.Go(gp, func(*usched.G) { panic("bad input") })
		grp.Go(gp, func(*usched.G) {})
		err := grp.Wait(gp)
		var pe *usched.PanicError
		if errors.As(err, &pe) {
			fmt.Println("recovered:", pe.Value)
		}
	})
	_ = rt.Wait()
	// Output: recovered: bad input
}

// Yield lets the other runnable Gs of the P run. With one P, two Gs that
// yield after every step alternate strictly (which one starts is up to the
// scheduler).
func ExampleG_Yield() {
	rt, err := usched.New(usched.Config{Procs: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()

	var log []string
	rt.Go(func(gp *usched.G) {
		var grp usched.Group
		for _, name := range []string{"ping", "pong"} {
			grp.Go(gp, func(c *usched.G) {
				for range 3 {
					log = append(log, name)
					c.Yield()
				}
			})
		}
		_ = grp.Wait(gp)
	})
	_ = rt.Wait()
	alternated := true
	for i := 1; i < len(log); i++ {
		alternated = alternated && log[i] != log[i-1]
	}
	fmt.Println(len(log), "steps, alternated:", alternated)
	// Output: 6 steps, alternated: true
}

// Stats reads the per-P counters without slowing the Ms down: Gs run,
// steals in and out, the steal matrix, parks, the scheduling latency.
func ExampleRuntime_Stats() {
	rt, err := usched.New(usched.Config{Procs: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()

	rt.Go(func(gp *usched.G) {
		for range 10_000 {
			gp.Go(func(*usched.G) {})
		}
	})
	_ = rt.Wait()

	st := rt.Stats() // exact once the runtime is idle
	tot := st.Total()
	var matrix uint64
	for _, row := range st.StealMatrix {
		for _, n := range row {
			matrix += n
		}
	}
	fmt.Println("Ps:", len(st.Ps))
	fmt.Println("Gs run:", tot.RanGs)
	fmt.Println("steals in = steals out = matrix:", tot.StolenGs == tot.StolenFromGs && tot.StolenGs == matrix)
	fmt.Println("latency sampled:", st.SchedLatency.Count() > 0)
	// Output:
	// Ps: 2
	// Gs run: 10001
	// steals in = steals out = matrix: true
	// latency sampled: true
}

// A G reads from a pipe through usched.Read: if the read blocks, the
// runtime hands the G's P's other Gs to a spare M instead of letting them
// wait behind it. G.Sleep suspends a G without holding its thread.
func ExampleRead() {
	rt, err := usched.New(usched.Config{Procs: 1})
	if err != nil {
		panic(err)
	}
	defer rt.Close()

	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		panic(err)
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])

	var got string
	rt.Go(func(gp *usched.G) {
		buf := make([]byte, 16)
		n, err := usched.Read(gp, fds[0], buf) // blocks until the writer below runs
		if err != nil {
			panic(err)
		}
		got = string(buf[:n])
	})
	rt.Go(func(gp *usched.G) {
		gp.Sleep(time.Millisecond) // the reader is blocked by now, most likely
		if _, err := usched.Write(gp, fds[1], []byte("hello")); err != nil {
			panic(err)
		}
	})
	if err := rt.Wait(); err != nil {
		panic(err)
	}
	fmt.Println(got)
	// Output: hello
}
