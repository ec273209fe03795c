package steal

// cacheLineSize is the coherence granule the deque pads to. 64 bytes is the
// line size of current amd64 and most arm64 cores; Go's internal/cpu uses
// the same value for amd64. (Adjacent-line prefetch can still pair lines on
// some Intel parts; 64 is the usual compromise, as in Go's runtime.)
const cacheLineSize = 64

// cacheLinePad fills a whole cache line, to put fields written by different
// threads (the owner's bottom, the thieves' top) on different lines so that
// one side's stores do not keep invalidating the other's cached copy.
type cacheLinePad struct{ _ [cacheLineSize]byte }
