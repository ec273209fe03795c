package usched_test

import (
	"encoding/xml"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/usched/usched"
)

// reportSample returns a sample of a runtime with two Ps and one spare P,
// at ms milliseconds: P0 ran ran0 Gs, P1 ran ran1 and stole stolen Gs
// from P0; the spare ran spare Gs.
func reportSample(run string, ms int, ran0, ran1, stolen, spare uint64) usched.Sample {
	return usched.Sample{
		Time: time.Unix(1700000000, 0).Add(time.Duration(ms) * time.Millisecond),
		Run:  run,
		Stats: usched.Stats{
			Procs: 2,
			Ps: []usched.PStats{
				{P: 0, RanGs: ran0, StolenFromGs: stolen},
				{P: 1, RanGs: ran1, StolenGs: stolen},
			},
			SparePs:     []usched.PStats{{P: 2, RanGs: spare}},
			StealMatrix: [][]uint64{{0, stolen, 0}, {0, 0, 0}, {0, 0, 0}},
			SchedLatency: usched.LatencyHistogram{
				Bounds:  []time.Duration{2, 4, 8, 16},
				Buckets: []uint64{0, 3, 1, 0},
			},
		},
	}
}

// reportPlot is what the test reads of an SVG plot.
type reportPlot struct {
	ID     string `xml:"id,attr"`
	Title  string `xml:"title"`
	Series []struct {
		Name      string `xml:"data-series,attr"`
		Polylines []struct {
			Points string `xml:"points,attr"`
		} `xml:"polyline"`
	} `xml:"g"`
	Cells []struct {
		Victim string `xml:"data-victim,attr"`
		Thief  string `xml:"data-thief,attr"`
		Gs     string `xml:"data-gs,attr"`
	} `xml:"rect"`
}

func parsePlots(t *testing.T, page string) map[string]*reportPlot {
	t.Helper()
	plots := map[string]*reportPlot{}
	for _, raw := range regexp.MustCompile(`(?s)<svg .*?</svg>`).FindAllString(page, -1) {
		p := &reportPlot{}
		if err := xml.Unmarshal([]byte(raw), p); err != nil {
			t.Fatalf("SVG not well-formed: %v\n%.300s", err, raw)
		}
		plots[p.ID] = p
	}
	return plots
}

func TestWriteReportRuns(t *testing.T) {
	samples := []usched.Sample{
		reportSample("a", 0, 0, 0, 0, 0),
		reportSample("a", 1000, 100, 50, 10, 0),
		reportSample("a", 2000, 300, 150, 30, 0),
		// A second runtime: its counters start again from zero.
		reportSample("b", 2500, 0, 0, 0, 0),
		reportSample("b", 3500, 40, 20, 5, 7),
	}
	var b strings.Builder
	if err := usched.WriteReport(&b, "two <runs>", samples); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if !strings.Contains(page, "<title>two &lt;runs&gt;</title>") {
		t.Error("the title is not escaped")
	}
	plots := parsePlots(t, page)
	for _, id := range []string{"gs-run", "steal-rate", "runq", "latency-cdf", "steal-matrix-1", "steal-matrix-2"} {
		if plots[id] == nil {
			t.Errorf("no plot %s", id)
		}
	}
	if t.Failed() {
		return
	}
	// Rates: one point per pair of samples of a runtime, and a line per
	// runtime for each P. The spare P ran Gs only in run b.
	segs := map[string][]int{}
	for _, s := range plots["steal-rate"].Series {
		for _, pl := range s.Polylines {
			segs[s.Name] = append(segs[s.Name], len(strings.Fields(pl.Points)))
		}
	}
	if got := segs["P0"]; len(got) != 2 || got[0] != 2 || got[1] != 1 {
		t.Errorf("P0's steal rate has segments of %v points, want [2 1]", got)
	}
	if got := segs["S0"]; len(got) != 1 || got[0] != 1 {
		t.Errorf("the spare P's steal rate has segments of %v points, want [1] (shown in run b only)", got)
	}
	// Gauges: a point per sample.
	for _, s := range plots["runq"].Series {
		if s.Name == "global" && (len(s.Polylines) != 2 || len(strings.Fields(s.Polylines[0].Points)) != 3) {
			t.Errorf("the global queue has %d lines, want 2, the first of 3 points", len(s.Polylines))
		}
	}
	// The CDF: the lower bound of the first bucket, then one point per
	// bucket up to the last non-empty one.
	cdf := plots["latency-cdf"].Series
	if len(cdf) != 2 || cdf[0].Name != "a" || len(strings.Fields(cdf[0].Polylines[0].Points)) != 3 {
		t.Errorf("latency CDF: %+v", cdf)
	}
	// The heat maps read each runtime's last sample.
	for id, want := range map[string]string{"steal-matrix-1": "P0>P1=30", "steal-matrix-2": "P0>P1=5"} {
		found := false
		for _, c := range plots[id].Cells {
			found = found || c.Victim+">"+c.Thief+"="+c.Gs == want
		}
		if !found {
			t.Errorf("%s has no cell %s: %+v", id, want, plots[id].Cells)
		}
	}
	for _, want := range []string{
		`<tr data-run="a" data-gs-run="450" data-gs-stolen="30">`,
		`<tr data-run="b" data-gs-run="67" data-gs-stolen="5">`,
		`<tr data-metric="/usched/gs/run:gs" data-total="450">`,
		`<tr data-metric="/usched/gs/run:gs" data-total="67">`,
		`<th>S0</th>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the report lacks %s", want)
		}
	}
}

func TestWriteReportEmpty(t *testing.T) {
	var b strings.Builder
	if err := usched.WriteReport(&b, "nothing", nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "No samples") || !strings.HasSuffix(b.String(), "</html>\n") {
		t.Errorf("page without samples:\n%s", b.String())
	}
}

// TestWriteReportOneSample checks a runtime sampled once: no rates, but
// the plots are there and say why they are empty.
func TestWriteReportOneSample(t *testing.T) {
	var b strings.Builder
	if err := usched.WriteReport(&b, "one", []usched.Sample{reportSample("", 0, 5, 5, 1, 0)}); err != nil {
		t.Fatal(err)
	}
	plots := parsePlots(t, b.String())
	if len(plots) != 5 || !strings.Contains(b.String(), "no data: fewer than two samples") {
		t.Errorf("%d plots, want 5, the rate plots saying why they are empty", len(plots))
	}
	if !strings.Contains(b.String(), "Steal matrix: runtime 1") {
		t.Error("an unnamed runtime is not called runtime 1")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteReportError(t *testing.T) {
	if err := usched.WriteReport(failingWriter{}, "x", nil); err == nil || err.Error() != "disk full" {
		t.Errorf("WriteReport = %v, want the writer's error", err)
	}
}
