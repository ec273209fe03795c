package usched_test

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usched/usched"
	"github.com/usched/usched/preempt"
)

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  usched.Config
		want string
	}{
		{"negative procs", usched.Config{Procs: -1}, "Config.Procs is -1"},
		{"too many procs", usched.Config{Procs: 1 << 20}, "at most"},
		{"duplicate CPU", usched.Config{CPUs: []int{0, 0}}, "lists CPU 0 twice"},
		{"CPU outside mask", usched.Config{CPUs: []int{100000}}, "CPU 100000, which is not in the process's affinity mask"},
		{"negative CPU", usched.Config{CPUs: []int{-3}}, "CPU -3, which is not in"},
		{"empty CPUs", usched.Config{CPUs: []int{}}, "Config.CPUs is empty"},
		{"bad pin mode", usched.Config{Pin: usched.PinMode(7)}, "Config.Pin is PinMode(7)"},
		{"bad preempt mode", usched.Config{Preempt: usched.PreemptMode(9)}, "Config.Preempt is PreemptMode(9)"},
		{"quantum too short", usched.Config{Quantum: time.Microsecond}, "cannot sample below"},
		{"signal out of range", usched.Config{Signal: 99}, "Config.Signal is 99"},
		{"signal Go needs", usched.Config{Signal: syscall.SIGURG}, "which Go or the kernel needs"},
		{"too many spares", usched.Config{Procs: 1, MaxSpareMs: 1000}, "exceed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, err := usched.New(tt.cfg)
			require.Nil(t, rt)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestConfigZeroValue(t *testing.T) {
	rt := newRuntime(t, usched.Config{})
	st := rt.Stats()
	require.Equal(t, runtime.NumCPU(), st.Procs, "zero Procs means one P per CPU of the affinity mask")
	for i, ps := range st.Ps {
		require.GreaterOrEqual(t, ps.CPU, 0, "P %d: zero Pin means pinned", i)
	}
}

func TestConfigPinNone(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 2, Pin: usched.PinNone})
	for _, ps := range rt.Stats().Ps {
		require.Equal(t, -1, ps.CPU)
	}
}

func TestConfigMoreProcsThanCPUs(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 2 * runtime.NumCPU()})
	st := rt.Stats()
	require.Len(t, st.Ps, 2*runtime.NumCPU())
	for i, ps := range st.Ps {
		require.Equal(t, st.Ps[i%runtime.NumCPU()].CPU, ps.CPU, "Ms are spread round-robin")
	}
}

// TestConfigPreemptDefaults: the zero Config preempts at DefaultQuantum
// with one spare M per P; a negative Quantum turns preemption off.
func TestConfigPreemptDefaults(t *testing.T) {
	st := newRuntime(t, usched.Config{Procs: 1}).Stats()
	require.NotEqual(t, "off", st.Preemption.Mode)
	require.Equal(t, usched.DefaultQuantum, st.Preemption.Quantum)
	require.Equal(t, 1, st.Preemption.SpareMs)
	require.Len(t, st.SparePs, 1)
	require.GreaterOrEqual(t, st.GOMAXPROCS, 2, "Procs + 1; spares add theirs while they serve (TestGOMAXPROCSSpareShare)")

	st = newRuntime(t, usched.Config{Procs: 1, Quantum: -1}).Stats()
	require.Equal(t, "off", st.Preemption.Mode)
	require.Zero(t, st.Preemption.SpareMs)

	st = newRuntime(t, usched.Config{Procs: 1, MaxSpareMs: -1, Preempt: usched.PreemptSysmon}).Stats()
	require.Equal(t, "sysmon", st.Preemption.Mode)
	require.Zero(t, st.Preemption.SpareMs)
}

// TestPreemptModeValues: resolve converts PreemptMode to preempt.Mode by
// value, so the two enums must stay in step.
func TestPreemptModeValues(t *testing.T) {
	require.Equal(t, int(preempt.Auto), int(usched.PreemptAuto))
	require.Equal(t, int(preempt.EBPF), int(usched.PreemptEBPF))
	require.Equal(t, int(preempt.Sysmon), int(usched.PreemptSysmon))
	require.Equal(t, int(preempt.Off), int(usched.PreemptOff))
}

// TestEnumStrings: each named value of the Config enums prints its Go
// name, which error messages and Stats rely on, and a value outside the
// named ones prints its type and number instead of a wrong name.
func TestEnumStrings(t *testing.T) {
	for _, tc := range []struct {
		v    fmt.Stringer
		want string
	}{
		{usched.PreemptAuto, "PreemptAuto"},
		{usched.PreemptEBPF, "PreemptEBPF"},
		{usched.PreemptSysmon, "PreemptSysmon"},
		{usched.PreemptOff, "PreemptOff"},
		{usched.PreemptMode(42), "PreemptMode(42)"},
		{usched.PinCPU, "PinCPU"},
		{usched.PinNone, "PinNone"},
		{usched.PinMode(-1), "PinMode(-1)"},
		{usched.WorkStealing, "WorkStealing"},
		{usched.Priority, "Priority"},
		{usched.Centralized, "Centralized"},
		{usched.Policy(7), "Policy(7)"},
		{usched.MetricCounter, "counter"},
		{usched.MetricGauge, "gauge"},
		{usched.MetricKind(0), "MetricKind(0)"},
	} {
		require.Equal(t, tc.want, tc.v.String())
	}
}
