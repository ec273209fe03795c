package preempt

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTickRule walks one slot through the sampling rule: a new Seq resets
// the strikes, the first unchanged tick flags, the second escalates once,
// and idle (Seq 0) or unwatched slots are never flagged.
func TestTickRule(t *testing.T) {
	var s Slot
	s.Watch = 1
	s.SetSeq(7)
	esc, _ := tick(&s) // first sight of Seq 7: remember it
	assert.False(t, esc)
	assert.Zero(t, s.Preempt)
	esc, _ = tick(&s) // unchanged for a period: flag
	assert.False(t, esc)
	assert.Equal(t, uint64(7), s.Preempt)
	esc, seq := tick(&s) // unchanged again: escalate
	assert.True(t, esc)
	assert.Equal(t, uint64(7), seq)
	assert.Equal(t, uint64(7), s.Signaled)
	esc, _ = tick(&s) // already escalated: not again
	assert.False(t, esc)
	assert.Equal(t, uint64(1), s.Signals)
	assert.Equal(t, uint64(1), s.Flags)

	s.SetSeq(8) // the M moved on
	tick(&s)
	assert.Zero(t, s.Strikes)
	assert.Equal(t, uint64(8), s.LastSeq)

	s.SetSeq(0) // idle M
	for range 4 {
		esc, _ = tick(&s)
		assert.False(t, esc)
	}
	assert.Equal(t, uint64(1), s.Flags)

	s.SetSeq(9)
	s.Watch = 0 // unwatched
	for range 4 {
		esc, _ = tick(&s)
		assert.False(t, esc)
	}
	assert.Equal(t, uint64(1), s.Flags)
}

// TestSysmonFlagsAndEscalates runs the pure-Go watcher (no privilege
// needed) on a slot whose Seq never changes: it must flag it, then call
// Escalate exactly once with that slot and Seq.
func TestSysmonFlagsAndEscalates(t *testing.T) {
	type call struct {
		slot int
		seq  uint64
	}
	calls := make(chan call, 4)
	w, err := Start(Config{Mode: Sysmon, Quantum: 100 * time.Microsecond, Slots: 2, SysmonCPU: -1,
		Escalate: func(slot int, seq uint64) { calls <- call{slot, seq} }})
	require.NoError(t, err)
	defer w.Close()
	assert.Equal(t, Sysmon, w.Mode())
	require.NoError(t, w.Watch(1, 12345))
	s := w.Table().Slot(1)
	s.SetSeq(42)
	var got call
	select {
	case got = <-calls:
	case <-time.After(10 * time.Second): // a hang guard, not a timing assertion
		t.Fatal("sysmon never escalated a slot whose Seq did not change")
	}
	assert.Equal(t, call{1, 42}, got)
	assert.Equal(t, uint64(42), atomic.LoadUint64(&s.Preempt))
	assert.Zero(t, atomic.LoadUint64(&w.Table().Slot(0).Preempt), "an unwatched slot is never flagged")
	time.Sleep(2 * time.Millisecond) // more ticks: no second escalation of the same G
	assert.Empty(t, calls)
	s.SetSeq(0)
	w.Unwatch(1)
	require.NoError(t, w.Close())
	require.NoError(t, w.Close(), "Close is idempotent")
}

// TestStartRejectsBadConfig: bad input is an error, not a hang.
func TestStartRejectsBadConfig(t *testing.T) {
	_, err := Start(Config{Mode: Sysmon, Quantum: time.Millisecond, Slots: 0})
	assert.Error(t, err)
	_, err = Start(Config{Mode: Sysmon, Quantum: time.Millisecond, Slots: MaxSlots + 1})
	assert.Error(t, err)
	_, err = Start(Config{Mode: Sysmon, Quantum: 0, Slots: 1})
	assert.Error(t, err)
	w, err := Start(Config{Mode: Off, Slots: 1})
	require.NoError(t, err)
	assert.Equal(t, Off, w.Mode())
	assert.NoError(t, w.Close())
}
