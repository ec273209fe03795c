package g

import (
	"errors"
	"fmt"
)

// PanicError reports a G that panicked. The runtime recovers the panic,
// keeps running other Gs, and hands this error to whoever waits for the G:
// Group.Wait for a Group's child, Runtime.Wait for a root G.
type PanicError struct {
	// GID is the ID of the G that panicked.
	GID uint64
	// Value is the value passed to panic.
	Value any
	// Stack is the panicking G's stack trace, as runtime/debug.Stack
	// formats it, taken where the panic was recovered.
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("usched: G %d panicked: %v", e.GID, e.Value)
}

// Unwrap returns the panic value if it is an error, so that errors.Is and
// errors.As see through a panic(err).
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// ErrClosed is returned (wrapped) for work the runtime refused or dropped
// because it was closed.
var ErrClosed = errors.New("usched: runtime closed")

// NotRunError reports Gs that were submitted but never started because the
// runtime was closed. It wraps ErrClosed.
type NotRunError struct {
	// Count is the number of Gs that did not run.
	Count int64
}

func (e *NotRunError) Error() string {
	return fmt.Sprintf("usched: %d Gs not run: runtime closed", e.Count)
}

// Unwrap returns ErrClosed.
func (e *NotRunError) Unwrap() error { return ErrClosed }
