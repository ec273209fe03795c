package usched_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/usched/usched"
)

// A program profiles itself by reading Stats while it works, and writes
// the samples as the same HTML report "usched profile --report" writes.
func ExampleWriteReport() {
	rt, err := usched.New(usched.Config{Procs: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()

	samples := []usched.Sample{{Time: time.Now(), Stats: rt.Stats()}} // the start: rates count from here
	stop := make(chan struct{})
	sampled := make(chan []usched.Sample)
	go func() { // one sample a second while the work runs
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				samples = append(samples, usched.Sample{Time: time.Now(), Stats: rt.Stats()})
			case <-stop:
				sampled <- samples
				return
			}
		}
	}()

	rt.Go(func(gp *usched.G) { fib(gp, 22) })
	_ = rt.Wait()
	close(stop)
	samples = append(<-sampled, usched.Sample{Time: time.Now(), Stats: rt.Stats()}) // exact: the runtime is idle

	var page strings.Builder // an *os.File in a real program
	if err := usched.WriteReport(&page, "fib(22)", samples); err != nil {
		fmt.Println(err)
	}
	fmt.Println("plots:", strings.Count(page.String(), "<svg "))
	// Output: plots: 5
}
