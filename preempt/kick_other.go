//go:build !linux

package preempt

import (
	"sync/atomic"
	"time"
)

// sleepKickable: outside Linux (built for tests only) a plain sleep; kick
// only sets the word.
func sleepKickable(word *atomic.Uint32, d time.Duration) {
	time.Sleep(d)
	word.Store(0)
}

func kick(word *atomic.Uint32) { word.Store(1) }
