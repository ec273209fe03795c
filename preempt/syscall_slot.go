package preempt

import "sync/atomic"

// EnterSyscall publishes that the M entered a hooked blocking call at
// cycle count since (non-zero). M only; a plain store, like SetSeq.
func (s *Slot) EnterSyscall(since uint64) { s.Syscall = since }

// ExitSyscall publishes that the call returned. M only.
func (s *Slot) ExitSyscall() { s.Syscall = 0 }

// InSyscall returns the cycle count at which the M entered its current
// hooked call, or 0. Any thread.
func (s *Slot) InSyscall() uint64 { return atomic.LoadUint64(&s.Syscall) }

// SwitchedOut reports whether the sched_switch reporter last saw the M
// switch out (and not back in). Any thread; only meaningful while the
// reporter is on.
func (s *Slot) SwitchedOut() bool { return atomic.LoadUint32(&s.OffCPU) != 0 }

// SwitchedOutAt returns when (CLOCK_MONOTONIC ns) the reporter last saw the
// M switch out. Any thread.
func (s *Slot) SwitchedOutAt() uint64 { return atomic.LoadUint64(&s.SwitchOutTS) }
