package usched_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usched/usched"
)

// orderLog records the order in which Gs reach a point.
type orderLog struct {
	mu  sync.Mutex
	seq []string
}

func (l *orderLog) add(s string) {
	l.mu.Lock()
	l.seq = append(l.seq, s)
	l.mu.Unlock()
}

func (l *orderLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.seq...)
}

// waitOrHang waits for the runtime's Gs, failing the test instead of
// hanging when the behaviour under test is broken (a G that never yields
// to the one it waits for). The limit is a hang guard, not a timing
// assertion: the Gs need microseconds. Tests whose Gs spin on a flag
// pass release, which sets it, so that Close can return after a failure.
func waitOrHang(t *testing.T, rt *usched.Runtime, release ...*atomic.Bool) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- rt.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		for _, r := range release {
			r.Store(true)
		}
		t.Fatal("Gs did not finish in a minute: a G waits for one that never runs")
	}
}

var classNames = map[usched.Class]string{usched.Critical: "critical", usched.Normal: "normal", usched.Batch: "batch"}

// TestPriorityStrictOrder: on one P, the queued children of a Critical G
// run class by class, whatever order they were spawned in.
func TestPriorityStrictOrder(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 1, Policy: usched.Priority, Preempt: usched.PreemptOff})
	var log orderLog
	classes := []usched.Class{usched.Batch, usched.Normal, usched.Critical}
	rt.GoClass(usched.Critical, func(gp *usched.G) {
		for i := range 30 {
			c := classes[(i*7)%3]
			gp.GoClass(c, func(gp *usched.G) {
				require.Equal(t, c, gp.Class())
				log.add(classNames[c])
			})
		}
	})
	waitOrHang(t, rt)
	got := log.get()
	require.Len(t, got, 30)
	want := make([]string, 0, 30)
	for _, c := range []string{"critical", "normal", "batch"} {
		for range 10 {
			want = append(want, c)
		}
	}
	require.Equal(t, want, got)
}

// TestPriorityChildrenInheritClass: G.Go and Group.Go children take their
// parent's class.
func TestPriorityChildrenInheritClass(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 2, Policy: usched.Priority})
	var log orderLog
	rt.GoClass(usched.Batch, func(gp *usched.G) {
		gp.Go(func(gp *usched.G) { log.add(classNames[gp.Class()]) })
		var grp usched.Group
		grp.Go(gp, func(gp *usched.G) { log.add(classNames[gp.Class()]) })
		require.NoError(t, grp.Wait(gp))
	})
	rt.Go(func(gp *usched.G) { log.add(classNames[gp.Class()]) })
	waitOrHang(t, rt)
	require.ElementsMatch(t, []string{"batch", "batch", "normal"}, log.get())
}

// TestPrioritySpawnYieldsToBetterClass: a Batch G that spawns a Critical
// child on one P yields to it at once (the spawn polls), where work
// stealing runs the child only after the parent.
func TestPrioritySpawnYieldsToBetterClass(t *testing.T) {
	for _, pol := range []usched.Policy{usched.Priority, usched.WorkStealing} {
		t.Run(pol.String(), func(t *testing.T) {
			rt := newRuntime(t, usched.Config{Procs: 1, Policy: pol, Preempt: usched.PreemptOff})
			var log orderLog
			rt.GoClass(usched.Batch, func(gp *usched.G) {
				gp.GoClass(usched.Critical, func(*usched.G) { log.add("critical child") })
				log.add("batch parent")
			})
			waitOrHang(t, rt)
			if pol == usched.Priority {
				require.Equal(t, []string{"critical child", "batch parent"}, log.get())
			} else {
				require.Equal(t, []string{"batch parent", "critical child"}, log.get())
			}
		})
	}
}

// TestPriorityUrgentFromOutside: a Critical G submitted while a Batch G
// holds the only P, polling but never yielding of its own accord, makes
// it yield at its next poll, with no watcher at all (PreemptOff). The
// Batch G waits for the Critical one, so without the urgent yield it
// would spin forever.
func TestPriorityUrgentFromOutside(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 1, Policy: usched.Priority, Preempt: usched.PreemptOff})
	started := make(chan struct{})
	var critRan, batchDone sync.WaitGroup
	critRan.Add(1)
	batchDone.Add(1)
	var ran atomic.Bool
	rt.GoClass(usched.Batch, func(gp *usched.G) {
		defer batchDone.Done()
		close(started)
		for !ran.Load() {
			gp.Check()
		}
	})
	<-started
	rt.GoClass(usched.Critical, func(*usched.G) { ran.Store(true); critRan.Done() })
	waitOrHang(t, rt, &ran)
	require.True(t, ran.Load())
	require.NotZero(t, rt.Stats().UrgentPreempts)
}

// TestPriorityAgingBound: a Batch and a Normal G queued behind a stream of
// Critical Gs start within the documented bound, Aging+NumClasses-2 = A+1
// starts of other Gs; with aging off they start last.
func TestPriorityAgingBound(t *testing.T) {
	const critical = 100
	for _, aging := range []int{8, 1, -1} {
		t.Run(map[int]string{8: "aging=8", 1: "aging=1", -1: "off"}[aging], func(t *testing.T) {
			rt := newRuntime(t, usched.Config{Procs: 1, Policy: usched.Priority, Preempt: usched.PreemptOff, Aging: aging})
			var log orderLog
			rt.GoClass(usched.Critical, func(gp *usched.G) {
				gp.GoClass(usched.Batch, func(*usched.G) { log.add("batch") })
				gp.GoClass(usched.Normal, func(*usched.G) { log.add("normal") })
				for range critical {
					gp.Go(func(*usched.G) { log.add("critical") })
				}
			})
			waitOrHang(t, rt)
			got := log.get()
			require.Len(t, got, critical+2)
			for _, c := range []string{"batch", "normal"} {
				before := indexOf(got, c) // Gs started before it
				if aging < 0 {
					require.GreaterOrEqual(t, before, critical, "%s started before the Critical Gs with aging off: %v", c, got)
					continue
				}
				require.LessOrEqual(t, before, aging+1, "%s waited for %d starts, over the bound %d: %v", c, before, aging+1, got)
			}
		})
	}
}

func indexOf(s []string, x string) int {
	for i, v := range s {
		if v == x {
			return i
		}
	}
	return -1
}

// spin busy-works for about d, polling.
func spin(gp *usched.G, d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		gp.Check()
	}
}

// TestCentralizedFIFO: under Centralized, Gs run in arrival order, and a
// preempted G goes behind every G that arrived before its preemption.
// The hog polls until its last child ran, so only a preemption (sysmon,
// unprivileged everywhere) lets the children run on the one P; there is
// no spare M to take the P over, so the children run only if the hog
// really goes behind them.
func TestCentralizedFIFO(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 1, Policy: usched.Centralized, Preempt: usched.PreemptSysmon, MaxSpareMs: -1})
	var log orderLog
	var last atomic.Bool
	rt.Go(func(gp *usched.G) {
		for _, name := range []string{"b", "c", "d"} {
			gp.Go(func(*usched.G) {
				log.add(name)
				if name == "d" {
					last.Store(true)
				}
			})
		}
		for !last.Load() {
			gp.Check()
		}
		log.add("hog resumed")
	})
	waitOrHang(t, rt, &last)
	require.Equal(t, []string{"b", "c", "d", "hog resumed"}, log.get())
	require.NotZero(t, rt.Stats().Total().Preemptions)
}

// TestPolicyConfigErrors: bad policy fields are refused by New.
func TestPolicyConfigErrors(t *testing.T) {
	_, err := usched.New(usched.Config{Policy: usched.Policy(7)})
	require.ErrorContains(t, err, "Config.Policy is Policy(7)")
	_, err = usched.New(usched.Config{Aging: 5})
	require.ErrorContains(t, err, "only the Priority policy ages")
	rt := newRuntime(t, usched.Config{Procs: 1, Policy: usched.Priority})
	require.PanicsWithValue(t, "usched: Runtime.GoClass with an invalid class class(9)", func() {
		rt.GoClass(usched.Class(9), func(*usched.G) {})
	})
}

// TestPolicyStats: Stats names the policy, and Centralized's default
// quantum is its own.
func TestPolicyStats(t *testing.T) {
	for pol, name := range map[usched.Policy]string{usched.WorkStealing: "work-stealing", usched.Priority: "priority", usched.Centralized: "centralized"} {
		rt := newRuntime(t, usched.Config{Procs: 1, Policy: pol, Preempt: usched.PreemptSysmon})
		st := rt.Stats()
		require.Equal(t, name, st.Policy)
		if pol == usched.Centralized {
			require.Equal(t, usched.DefaultCentralizedQuantum, st.Preemption.Quantum)
		} else {
			require.Equal(t, usched.DefaultQuantum, st.Preemption.Quantum)
		}
		require.NoError(t, rt.Close())
	}
}

// TestPriorityReadiedPreemptsWorse: a Critical G whose wait ends (Await,
// readied by a goroutine) while a Batch G polls on the only P makes the
// Batch G yield, with no watcher: the Critical G is bound to that M and
// can run nowhere else. Without it the Batch G would spin forever.
func TestPriorityReadiedPreemptsWorse(t *testing.T) {
	rt := newRuntime(t, usched.Config{Procs: 1, Policy: usched.Priority, Preempt: usched.PreemptOff, MaxSpareMs: -1})
	ch := make(chan struct{})
	suspended := make(chan struct{})
	started := make(chan struct{})
	var ran atomic.Bool
	rt.GoClass(usched.Critical, func(gp *usched.G) {
		gp.Await(func() { close(suspended); <-ch })
		ran.Store(true)
	})
	<-suspended
	rt.GoClass(usched.Batch, func(gp *usched.G) {
		close(started)
		for !ran.Load() {
			gp.Check()
		}
	})
	<-started
	close(ch)
	waitOrHang(t, rt, &ran)
	require.True(t, ran.Load())
	require.NotZero(t, rt.Stats().UrgentPreempts)
}
