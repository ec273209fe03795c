package m

import "github.com/usched/usched/p"

// pSuspends indexes PSnapshot.C in the package's own tests.
const pSuspends = p.Suspends
