package usched_test

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usched/usched"
	"github.com/usched/usched/internal/testutil"
)

// newPreempting starts a one-P runtime with the given watcher and a short
// quantum, skipping (or failing, in a privileged run) when eBPF is asked
// for and cannot load.
func newPreempting(t *testing.T, mode usched.PreemptMode) *usched.Runtime {
	t.Helper()
	return newPreemptingQuantum(t, mode, 200*time.Microsecond)
}

// newPreemptingQuantum is newPreempting with quantum q.
func newPreemptingQuantum(t *testing.T, mode usched.PreemptMode, q time.Duration) *usched.Runtime {
	t.Helper()
	rt, err := usched.New(usched.Config{Procs: 1, Quantum: q, Preempt: mode})
	if mode == usched.PreemptEBPF {
		testutil.SkipIfNotSupported(t, err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { rt.Close() })
	want := map[usched.PreemptMode]string{usched.PreemptEBPF: "ebpf", usched.PreemptSysmon: "sysmon"}[mode]
	require.Equal(t, want, rt.Stats().Preemption.Mode)
	return rt
}

// checkPollingGYields: on one P, G a polls in a loop until its child b has
// run. b is queued behind a on the same P and nothing else can run it, so
// without preemption a would spin forever; with it, a's poll yields.
func checkPollingGYields(t *testing.T, mode usched.PreemptMode) {
	rt := newPreempting(t, mode)
	var bRan atomic.Bool
	rt.Go(func(gp *usched.G) {
		gp.Go(func(*usched.G) { bRan.Store(true) })
		for !bRan.Load() {
			gp.Check()
		}
	})
	require.NoError(t, rt.Wait())
	st := rt.Stats()
	// a's poll yields as soon as the watcher flags it. On a loaded
	// machine a's thread may instead lose its CPU (or block, under the race
	// detector) for two sample periods; then a spare runs b first.
	assert.NotZero(t, st.Total().Preemptions+st.Preemption.Handoffs+st.Preemption.BlockHandoffs,
		"a's poll must have fired, or a spare must have taken over")
}

func TestPreemptPollingGYieldsSysmon(t *testing.T) {
	checkPollingGYields(t, usched.PreemptSysmon)
}

func TestPrivilegedPreemptPollingGYieldsEBPF(t *testing.T) {
	checkPollingGYields(t, usched.PreemptEBPF)
}

// checkHogCannotStarveItsP: on one P, a G spins without ever polling until
// every other G has run: its queued children (on its own P's deque) and Gs
// submitted from outside. Only escalation can run them: the watcher hands
// the P's CPU to a spare M, which steals the children.
func checkHogCannotStarveItsP(t *testing.T, mode usched.PreemptMode) {
	rt := newPreempting(t, mode)
	const children, outside = 50, 50
	var ran atomic.Int32
	started := make(chan struct{})
	rt.Go(func(gp *usched.G) {
		for range children {
			gp.Go(func(*usched.G) { ran.Add(1) })
		}
		close(started)
		for ran.Load() < children+outside {
			// No poll: an atomic load is not a runtime call.
		}
	})
	<-started
	for range outside {
		rt.Go(func(*usched.G) { ran.Add(1) })
	}
	require.NoError(t, rt.Wait())
	st := rt.Stats()
	assert.Equal(t, int32(children+outside), ran.Load())
	assert.NotZero(t, st.Preemption.Escalations, "the hog must have been escalated")
	// Under the race detector the hog's thread may also block (the
	// detector's own locks): then the sched_switch reporter hands it off
	// first, and the escalation finds it done.
	assert.NotZero(t, st.Preemption.Handoffs+st.Preemption.BlockHandoffs, "a spare must have taken the hog's CPU")
	assert.NotZero(t, st.Total().Handoffs, "%+v", st.SparePs)
	var spareRan uint64
	for _, ps := range st.SparePs {
		spareRan += ps.RanGs
	}
	assert.NotZero(t, spareRan, "the spare must have run the starved Gs")
}

func TestHogCannotStarveItsPSysmon(t *testing.T) {
	checkHogCannotStarveItsP(t, usched.PreemptSysmon)
}

func TestPrivilegedHogCannotStarveItsPEBPF(t *testing.T) {
	checkHogCannotStarveItsP(t, usched.PreemptEBPF)
}

// TestPreemptOffNeverFlags: with preemption off, a polling loop is never
// interrupted and the Stats say so.
func TestPreemptOffNeverFlags(t *testing.T) {
	rt, err := usched.New(usched.Config{Procs: 1, Preempt: usched.PreemptOff})
	require.NoError(t, err)
	defer rt.Close()
	rt.Go(func(gp *usched.G) {
		for end := time.Now().Add(5 * time.Millisecond); time.Now().Before(end); {
			gp.Check()
		}
	})
	require.NoError(t, rt.Wait())
	st := rt.Stats()
	assert.Equal(t, "off", st.Preemption.Mode)
	assert.Zero(t, st.Total().Preemptions)
	assert.Zero(t, st.Preemption.SpareMs)
	assert.Empty(t, st.SparePs)
}

// TestSignalIgnoredRejected: New refuses an escalation signal the program
// ignores, and says how to pick another.
func TestSignalIgnoredRejected(t *testing.T) {
	signal.Ignore(syscall.SIGUSR1)
	defer signal.Reset(syscall.SIGUSR1)
	_, err := usched.New(usched.Config{Procs: 1, Preempt: usched.PreemptEBPF, Signal: syscall.SIGUSR1})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ignored")
	assert.Contains(t, err.Error(), "Config.Signal")
}

// The unprivileged path: the test binary runs itself as user nobody, where
// eBPF cannot load. Auto must fall back to sysmon and say why; EBPF must
// fail New.
const envUnprivChild = "USCHED_TEST_UNPRIV_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(envUnprivChild); mode != "" {
		os.Exit(unprivChild(mode))
	}
	os.Exit(m.Run())
}

// unprivChild runs as nobody and prints what New did.
func unprivChild(mode string) int {
	cfg := usched.Config{Procs: 1, Quantum: 200 * time.Microsecond}
	if mode == "ebpf" {
		cfg.Preempt = usched.PreemptEBPF
	}
	rt, err := usched.New(cfg)
	if err != nil {
		os.Stdout.WriteString("NEW-ERROR " + err.Error() + "\n")
		if errors.Is(err, usched.ErrNotSupported) {
			os.Stdout.WriteString("IS-NOT-SUPPORTED\n")
		}
		return 0
	}
	defer rt.Close()
	pr := rt.Stats().Preemption
	os.Stdout.WriteString("MODE " + pr.Mode + "\nREASON " + pr.Reason + "\n")
	return 0
}

// runAsNobody runs this test binary as uid 65534 with the child mode set.
func runAsNobody(t *testing.T, mode string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to user nobody")
	}
	self, err := os.Executable()
	require.NoError(t, err)
	// The test binary may sit in a directory nobody cannot enter: copy it.
	dir, err := os.MkdirTemp("", "usched-unpriv")
	require.NoError(t, err)
	defer os.RemoveAll(dir)
	require.NoError(t, os.Chmod(dir, 0o755))
	bin := filepath.Join(dir, "usched.test")
	data, err := os.ReadFile(self)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bin, data, 0o755))
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), envUnprivChild+"="+mode)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return string(out)
}

func TestPreemptAutoFallsBackUnprivileged(t *testing.T) {
	out := runAsNobody(t, "auto")
	assert.Contains(t, out, "MODE sysmon")
	assert.Regexp(t, `REASON .*needs CAP_BPF and CAP_PERFMON`, out)
	assert.NotContains(t, out, "MEMLOCK")
}

func TestPreemptEBPFUnprivilegedFails(t *testing.T) {
	out := runAsNobody(t, "ebpf")
	assert.Contains(t, out, "NEW-ERROR")
	assert.Contains(t, out, "CAP_BPF")
	assert.Contains(t, out, "IS-NOT-SUPPORTED")
	assert.False(t, strings.Contains(out, "MODE "), "New must fail, not fall back")
}
