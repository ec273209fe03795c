package asm

// Export guts for testing.

var (
	Getcpu    = getcpu
	Calibrate = calibrate
)
