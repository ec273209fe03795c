//go:build !linux

package preempt

import (
	"fmt"
	"syscall"

	"github.com/usched/usched/internal/feature"
)

// errNotLinux is returned where a watcher needs Linux.
var errNotLinux = fmt.Errorf("needs Linux: %w", feature.ErrNotSupported)

func checkSignalFree(sig syscall.Signal) error { return errNotLinux }
