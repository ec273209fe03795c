package usched_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usched/usched"
)

// TestTraceChromeJSON: a trace of a fork-join run on two Ps parses as
// Chrome trace JSON and holds what it must: a named track per M, G
// slices on those tracks (sampled: about one G in SampleEvery), and, for
// every steal, a flow pair and an instant whose counts match the
// runtime's steal counters.
func TestTraceChromeJSON(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 2})
	require.NoError(t, rt.StartTrace(usched.TraceConfig{SampleEvery: 4}))
	require.ErrorIs(t, rt.StartTrace(usched.TraceConfig{}), usched.ErrTraceRunning)
	before := rt.Stats().Total()
	rt.Go(func(gp *usched.G) { fib(gp, 18) })
	require.NoError(t, rt.Wait())
	after := rt.Stats().Total()
	var buf bytes.Buffer
	require.NoError(t, rt.StopTrace(&buf))
	require.Error(t, rt.StopTrace(&buf), "no trace runs any more")

	var doc struct {
		TraceEvents []struct {
			Name string         `json:"name"`
			Ph   string         `json:"ph"`
			Tid  int            `json:"tid"`
			Ts   float64        `json:"ts"`
			Dur  float64        `json:"dur"`
			Args map[string]any `json:"args"`
		} `json:"traceEvents"`
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc), "the trace must be valid JSON")
	tracks := map[int]bool{}
	var slices, starts, ends, instants int
	var stolen float64
	for _, ev := range doc.TraceEvents {
		switch ev.Ph {
		case "M":
			tracks[ev.Tid] = true
		case "X":
			slices++
			assert.GreaterOrEqual(t, ev.Dur, 0.0)
			assert.True(t, tracks[ev.Tid], "slice on an unnamed track %d", ev.Tid)
		case "s":
			starts++
		case "f":
			ends++
		case "i":
			instants++
			stolen += ev.Args["gs"].(float64)
		}
	}
	ran := after.RanGs - before.RanGs
	assert.NotEmpty(t, tracks)
	assert.Greater(t, slices, 0)
	assert.LessOrEqual(t, uint64(slices), ran/4+uint64(len(tracks)), "one G in 4 per M is sampled")
	assert.Equal(t, starts, ends, "each steal is a flow pair")
	assert.Equal(t, starts, instants)
	assert.Equal(t, float64(after.StolenGs-before.StolenGs), stolen, "every stolen G is in the trace")
}
