package usched_test

import (
	"bufio"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/usched/usched"
)

// Stats.Metrics gives every counter by name, runtime/metrics style: the
// runtime-wide value, and for per-P counters each P's share (Ps, then the
// spare Ps).
func ExampleStats_Metrics() {
	rt, err := usched.New(usched.Config{Procs: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()

	rt.Go(func(gp *usched.G) {
		for range 1000 {
			gp.Go(func(*usched.G) {})
		}
	})
	_ = rt.Wait()

	for _, m := range rt.Stats().Metrics() { // exact once the runtime is idle
		switch m.Name {
		case "/usched/gs/run:gs", "/usched/gs/submitted:gs", "/usched/procs:ps":
			var sum float64
			for _, v := range m.PerP {
				sum += v
			}
			fmt.Println(m.Name, m.Kind, m.Value, "per P:", m.PerP != nil && sum == m.Value)
		}
	}
	// Unordered output:
	// /usched/gs/run:gs counter 1001 per P: true
	// /usched/gs/submitted:gs counter 1 per P: false
	// /usched/procs:ps gauge 2 per P: false
}

// MetricsHandler serves the same metrics to Prometheus. A program would
// mount it with http.Handle("/metrics", usched.MetricsHandler(rt)).
func ExampleMetricsHandler() {
	rt, err := usched.New(usched.Config{Procs: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()
	for range 10 {
		rt.Go(func(*usched.G) {})
	}
	_ = rt.Wait()

	rec := httptest.NewRecorder()
	usched.MetricsHandler(rt).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "usched_gs_submitted_total ") ||
			strings.HasPrefix(line, "usched_procs_ps ") ||
			strings.HasPrefix(line, "# TYPE usched_gs_run_total ") {
			fmt.Println(line)
		}
	}
	// Unordered output:
	// # TYPE usched_gs_run_total counter
	// usched_gs_submitted_total 10
	// usched_procs_ps 2
}
