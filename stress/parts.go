package stress

import "sort"

// parts names the ranges of G numbers of a workload, for failure messages:
// part i covers G numbers [lo_i, lo_{i+1}).
type parts struct {
	lo   []int
	name []string
}

// add starts a part called name at G number lo; parts are added in
// increasing order of lo.
func (ps *parts) add(lo int, name string) {
	if n := len(ps.lo); n > 0 && ps.lo[n-1] == lo {
		ps.name[n-1] = name // an empty part: the new one replaces it
		return
	}
	ps.lo = append(ps.lo, lo)
	ps.name = append(ps.name, name)
}

// kind returns the name of the part holding G number n.
func (ps *parts) kind(n int) string {
	i := sort.SearchInts(ps.lo, n+1) - 1
	if i < 0 {
		return "unnumbered"
	}
	return ps.name[i]
}
