package g_test

import (
	"errors"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/usched/usched/g"
)

// TestSizes holds the descriptor sizes the memory goals rest on: an
// unstarted G within 48 bytes (a queued G costs this plus a deque slot),
// a Group two words (it lives on its G's stack), and the record of a
// Group with children, recycled by the Ms, within 24.
func TestSizes(t *testing.T) {
	require.LessOrEqual(t, unsafe.Sizeof(g.G{}), uintptr(48))
	require.LessOrEqual(t, unsafe.Sizeof(g.Group{}), uintptr(16))
	require.LessOrEqual(t, unsafe.Sizeof(g.GroupState{}), uintptr(24))
}

func TestPanicErrorUnwrap(t *testing.T) {
	sentinel := errors.New("x")
	pe := &g.PanicError{Value: sentinel}
	require.ErrorIs(t, pe, sentinel)
	require.Nil(t, (&g.PanicError{Value: "text"}).Unwrap())
	require.ErrorIs(t, &g.NotRunError{Count: 3}, g.ErrClosed)
	require.Contains(t, (&g.NotRunError{Count: 3}).Error(), "3 Gs not run")
}

func TestIDIsUniqueAmongLiveGs(t *testing.T) {
	a, b := new(g.G), new(g.G)
	require.NotEqual(t, a.ID(), b.ID())
	require.Equal(t, a.ID(), a.ID())
}
