//go:build !race

package usched_test

const raceEnabled = false
