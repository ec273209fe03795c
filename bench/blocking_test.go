package bench

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/panjf2000/ants/v2"
	"golang.org/x/sys/unix"

	"github.com/usched/usched"
)

// BenchmarkHookOverhead: a read that does not block (one byte of
// /dev/zero), raw from a G and through usched.Read. The difference is what
// the hook costs a call that does not block (goal: at most 100 ns).
func BenchmarkHookOverhead(b *testing.B) {
	fd, err := unix.Open("/dev/zero", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(fd)
	for _, name := range []string{"raw", "hook"} {
		b.Run(name, func(b *testing.B) {
			rt := newRuntime(b, usched.Config{Procs: 1})
			N := b.N
			b.ResetTimer()
			rt.Go(func(gp *usched.G) {
				var buf [1]byte
				for range N {
					if name == "raw" {
						unix.Read(fd, buf[:])
					} else {
						usched.Read(gp, fd, buf[:])
					}
				}
			})
			if err := rt.Wait(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkHandoff: on one P, a G blocks in a hooked nanosleep of 2 ms
// with a child queued behind it; the latency is from the block to the
// child running on a spare M. p50/p99 in µs. With sysmon the hand-off
// waits for the watcher's next tick (a quantum); with eBPF the
// sched_switch reporter sees the thread block.
//
// ebpf-unhooked: the G blocks in a raw nanosleep (golang.org/x/sys/unix,
// no hook): only the sched_switch reporter can see it.
func BenchmarkHandoff(b *testing.B) {
	hooked := func(gp *usched.G) { usched.Nanosleep(gp, 2*time.Millisecond) }
	unhooked := func(*usched.G) {
		ts := unix.NsecToTimespec((2 * time.Millisecond).Nanoseconds())
		for unix.Nanosleep(&ts, &ts) == unix.EINTR {
		}
	}
	cases := []struct {
		name  string
		mode  usched.PreemptMode
		block func(*usched.G)
	}{
		{"ebpf", usched.PreemptEBPF, hooked},
		{"sysmon", usched.PreemptSysmon, hooked},
		{"ebpf-unhooked", usched.PreemptEBPF, unhooked},
	}
	for _, pm := range cases {
		b.Run(pm.name, func(b *testing.B) {
			rt, err := usched.New(usched.Config{Procs: 1, CPUs: []int{0}, Preempt: pm.mode, Quantum: 100 * time.Microsecond})
			if errors.Is(err, usched.ErrNotSupported) {
				b.Skip(err)
			}
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { rt.Close() })
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				var t0, t1 atomic.Int64
				rt.Go(func(gp *usched.G) {
					gp.Go(func(*usched.G) { t1.Store(nanotime()) })
					t0.Store(nanotime())
					pm.block(gp)
				})
				if err := rt.Wait(); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Duration(t1.Load()-t0.Load()))
			}
			b.StopTimer()
			reportQuantiles(b, lat)
		})
	}
}

// BenchmarkBlockingMix: one op is 100,000 tasks of which 10% block for
// 100 µs and 90% compute for about 5 µs.
//
//   - usched-sleep: the blocking tasks use G.Sleep (a timer: no thread).
//   - usched-hooked: they block the thread in a hooked nanosleep; up to
//     MaxSpareMs threads block at once, like Go's Ms in system calls.
//   - goroutines: time.Sleep in a goroutine per task.
//   - ants: a pool of 10,000 workers (a smaller pool serializes the sleeps).
func BenchmarkBlockingMix(b *testing.B) {
	const tasks = 100_000
	work := calibrateSpin(5 * time.Microsecond)
	var sink atomic.Uint64
	blocks := func(i int) bool { return i%10 == 0 }
	uschedMix := func(cfg usched.Config, block func(*usched.G)) func(*testing.B) {
		return func(b *testing.B) {
			rt := newRuntime(b, cfg)
			b.ResetTimer()
			for range b.N {
				rt.Go(func(gp *usched.G) {
					for i := range tasks {
						gp.Go(func(gp *usched.G) {
							if blocks(i) {
								block(gp)
							} else {
								sink.Add(spin(work))
							}
						})
					}
				})
				if err := rt.Wait(); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("usched-sleep", uschedMix(usched.Config{}, func(gp *usched.G) { gp.Sleep(100 * time.Microsecond) }))
	b.Run("usched-hooked", uschedMix(usched.Config{MaxSpareMs: 128}, func(gp *usched.G) {
		usched.Nanosleep(gp, 100*time.Microsecond)
	}))
	b.Run("goroutines", func(b *testing.B) {
		for range b.N {
			var wg sync.WaitGroup
			wg.Add(tasks)
			for i := range tasks {
				go func() {
					defer wg.Done()
					if blocks(i) {
						time.Sleep(100 * time.Microsecond)
					} else {
						sink.Add(spin(work))
					}
				}()
			}
			wg.Wait()
		}
	})
	b.Run("ants", func(b *testing.B) {
		pool, err := ants.NewPool(10_000)
		if err != nil {
			b.Fatal(err)
		}
		defer pool.Release()
		for range b.N {
			var wg sync.WaitGroup
			wg.Add(tasks)
			for i := range tasks {
				err := pool.Submit(func() {
					defer wg.Done()
					if blocks(i) {
						time.Sleep(100 * time.Microsecond)
					} else {
						sink.Add(spin(work))
					}
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			wg.Wait()
		}
	})
}
