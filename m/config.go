package m

// Config is a validated configuration (the root package checks the public
// one and fills defaults).
type Config struct {
	// Procs is the number of Ps and Ms, at least 1.
	Procs int
	// CPUs[i] is the CPU M i is pinned to. Nil means no pinning.
	CPUs []int
}
