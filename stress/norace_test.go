//go:build !race

package stress

// raceEnabled reports whether the race detector is on: under it the
// published UTS trees take over 20 s each on a 2-CPU machine.
const raceEnabled = false
