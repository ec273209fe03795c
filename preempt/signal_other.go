//go:build !linux

package preempt

import "syscall"

func checkSignalFree(sig syscall.Signal) error { return errNotLinux }
