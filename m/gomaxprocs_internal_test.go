package m

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGOMAXPROCSSum walks the GOMAXPROCS rule through two open runtimes, a
// spare share added and taken out, a value the program sets itself, and
// the last Close. No runtime is started: only the sum's bookkeeping runs.
func TestGOMAXPROCSSum(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(before)

	runtime.GOMAXPROCS(2)
	raiseGOMAXPROCS(2) // one runtime, 2 Ps: 2+1
	require.Equal(t, 3, runtime.GOMAXPROCS(0))
	raiseGOMAXPROCS(3) // a second one: 5+1
	require.Equal(t, 6, runtime.GOMAXPROCS(0))
	addGOMAXPROCS(2) // spares serve
	require.Equal(t, 8, runtime.GOMAXPROCS(0))
	addGOMAXPROCS(-2) // and retire
	require.Equal(t, 6, runtime.GOMAXPROCS(0), "the share comes out again")

	runtime.GOMAXPROCS(10) // the program's own choice
	addGOMAXPROCS(2)
	addGOMAXPROCS(-2)
	require.Equal(t, 10, runtime.GOMAXPROCS(0), "a value usched did not set is left alone")

	releaseGOMAXPROCS(3)
	releaseGOMAXPROCS(2)
	require.Equal(t, 10, runtime.GOMAXPROCS(0), "the last Close leaves a value the program set")

	// The last Close restores the value found when GOMAXPROCS is still
	// the one usched set.
	runtime.GOMAXPROCS(2)
	raiseGOMAXPROCS(2) // 2+1
	raiseGOMAXPROCS(1) // 3+1
	require.Equal(t, 4, runtime.GOMAXPROCS(0))
	releaseGOMAXPROCS(2)
	require.Equal(t, 2, runtime.GOMAXPROCS(0), "1+1, not below the value found")
	releaseGOMAXPROCS(1)
	require.Equal(t, 2, runtime.GOMAXPROCS(0), "the last Close restores the value found")
	raiseGOMAXPROCS(3) // 3+1
	require.Equal(t, 4, runtime.GOMAXPROCS(0))
	releaseGOMAXPROCS(3)
	require.Equal(t, 2, runtime.GOMAXPROCS(0), "the last Close restores the value found")

	// Never lowered below the value found before the first runtime.
	runtime.GOMAXPROCS(4)
	raiseGOMAXPROCS(1) // 1+1 <= 4: unchanged
	require.Equal(t, 4, runtime.GOMAXPROCS(0))
	addGOMAXPROCS(5) // 6+1
	require.Equal(t, 7, runtime.GOMAXPROCS(0))
	addGOMAXPROCS(-5)
	require.Equal(t, 4, runtime.GOMAXPROCS(0), "lowered to the value found, not to the sum")
	releaseGOMAXPROCS(1)
	require.Equal(t, 4, runtime.GOMAXPROCS(0))

	// Closing one of two runtimes takes its share out, as a spare share
	// comes out: the Ps it held would otherwise stay in Go's scheduler
	// (and its collector's mark workers) until the last Close.
	runtime.GOMAXPROCS(2)
	raiseGOMAXPROCS(2) // 2+1
	raiseGOMAXPROCS(3) // 5+1
	require.Equal(t, 6, runtime.GOMAXPROCS(0))
	releaseGOMAXPROCS(3)
	require.Equal(t, 3, runtime.GOMAXPROCS(0), "the closed runtime's share comes out")
	releaseGOMAXPROCS(2)
	require.Equal(t, 2, runtime.GOMAXPROCS(0))
}
