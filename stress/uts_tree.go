package stress

// The Unbalanced Tree Search (UTS) benchmark's trees, after Olivier et
// al., "UTS: An Unbalanced Tree Search Benchmark" (LCPC 2006), written
// from the paper's description of the generator and tree shapes.
//
// A node is a 20-byte SHA-1 state. The root's state is SHA-1 of 16 zero
// bytes followed by the root seed (-r) as 4 big-endian bytes; child i's
// state is SHA-1 of its parent's state followed by i as 4 big-endian
// bytes. Because every child is a pure function of its parent and index,
// the tree is the same whatever order, and on whatever thread, its nodes
// are expanded: the node count is an oracle for a parallel traversal.
//
// A node's random value is the last 4 bytes of its state as a big-endian
// uint32 with the top bit cleared, and its uniform in [0, 1) that value
// divided by 2^31. How many children it has depends on the tree type:
//
//   - Geometric (-t 1): at depth d below the depth limit gen_mx (-d), the
//     count is floor(log(1-u) / log(1-p)) with p = 1/(1+b_d), the inverse
//     CDF of a geometric distribution of mean b_d; nodes at depth >= gen_mx
//     have none. The shape function (-a) gives b_d from b_0 (-b): 0 linear
//     decrease, 1 exponential decrease, 2 cyclic, 3 fixed (b_d = b_0).
//   - Binomial (-t 0): the root has b_0 children; every other node has m
//     (-m) children with probability q (-q), else none. With q*m just
//     below 1 the tree is close to critical: subtree sizes vary wildly,
//     which is what makes it hard to balance.
//
// Counts are capped at utsMaxChildren except at a binomial root, as the
// benchmark's reference implementation caps them (a geometric draw at u
// close to 1 can be large); the cap never binds in T1 or T3 (T1 would need
// a draw with u > 1 - 0.8^100), so the published counts do not depend on
// it.
//
// The generator reproduced both published counts as first written, and
// the counts do pin its details down: a uniform made from all 32 bits of
// the last 4 bytes (divided by 2^32) gives 1,961,253 nodes for T1 and
// 526,729 for T3, one made from the first 4 bytes 659,122 and 1,916,801.

import (
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"math"
)

// UTSTree describes a UTS tree by the benchmark's parameters.
type UTSTree struct {
	Name string
	// Type is the tree type: UTSBinomial (-t 0) or UTSGeometric (-t 1).
	Type UTSType
	// Shape is the geometric shape function (-a); geometric trees only.
	Shape UTSShape
	// Depth is gen_mx (-d): the depth limit of geometric trees, and the
	// period of the cyclic shape.
	Depth int
	// B0 is the root's branching factor (-b): the mean of the geometric
	// distribution at depth 0, or the root's child count in a binomial tree.
	B0 float64
	// Q and M are the binomial tree's probability of having children (-q)
	// and their number (-m).
	Q float64
	M int
	// Seed is the root seed (-r).
	Seed int32
	// Nodes is the published node count, or 0 when none is published (the
	// sequential count is then the only oracle).
	Nodes int
}

// UTSType is the UTS tree type (-t).
type UTSType int

const (
	UTSBinomial  UTSType = 0
	UTSGeometric UTSType = 1
)

// UTSShape is the geometric tree's shape function (-a): how the expected
// branching factor changes with depth.
type UTSShape int

const (
	UTSLinear UTSShape = 0 // b_d = b_0 * (1 - d/gen_mx)
	UTSExpDec UTSShape = 1 // b_d = b_0 * d^(-log(b_0)/log(gen_mx))
	UTSCyclic UTSShape = 2 // b_d = b_0^sin(2*pi*d/gen_mx), none below 5*gen_mx
	UTSFixed  UTSShape = 3 // b_d = b_0
)

// The published trees, with the node counts the paper reports: the oracle
// for the generator and for the runtime's traversal.
var (
	// UTST1 is T1: geometric, fixed shape, -t 1 -a 3 -d 10 -b 4 -r 19.
	UTST1 = UTSTree{Name: "T1", Type: UTSGeometric, Shape: UTSFixed, Depth: 10, B0: 4, Seed: 19, Nodes: 4_130_071}
	// UTST3 is T3: binomial, -t 0 -b 2000 -q 0.124875 -m 8 -r 42.
	UTST3 = UTSTree{Name: "T3", Type: UTSBinomial, B0: 2000, Q: 0.124875, M: 8, Seed: 42, Nodes: 4_112_897}
	// utsSmallT1 is T1 with a depth limit of 7, and utsSmallT3 is T3 with
	// 100 children at the root instead of 2000 (T3's first 100 subtrees):
	// 63,914 and 6,797 nodes, for the quick runs under the race detector.
	// No count is published for them; the sequential pass is their
	// oracle, and the tests pin the counts it gives.
	utsSmallT1 = UTSTree{Name: "T1-d7", Type: UTSGeometric, Shape: UTSFixed, Depth: 7, B0: 4, Seed: 19}
	utsSmallT3 = UTSTree{Name: "T3-b100", Type: UTSBinomial, B0: 100, Q: 0.124875, M: 8, Seed: 42}
)

// Flags returns the tree's parameters as the benchmark's command line
// spells them.
func (t UTSTree) Flags() string {
	if t.Type == UTSBinomial {
		return fmt.Sprintf("-t 0 -b %g -q %g -m %d -r %d", t.B0, t.Q, t.M, t.Seed)
	}
	return fmt.Sprintf("-t 1 -a %d -d %d -b %g -r %d", int(t.Shape), t.Depth, t.B0, t.Seed)
}

// utsMaxChildren caps a node's child count (except at a binomial root).
const utsMaxChildren = 100

// utsState is a node's generator state: a SHA-1 digest.
type utsState [sha1.Size]byte

// utsRoot returns the root's state for seed.
func utsRoot(seed int32) utsState {
	var buf [20]byte // 16 zero bytes, then the seed
	binary.BigEndian.PutUint32(buf[16:], uint32(seed))
	return sha1.Sum(buf[:])
}

// spawn returns the state of child i.
func (s *utsState) spawn(i int) utsState {
	var buf [sha1.Size + 4]byte
	copy(buf[:], s[:])
	binary.BigEndian.PutUint32(buf[sha1.Size:], uint32(i))
	return sha1.Sum(buf[:])
}

// uniform returns the node's random value as a uniform in [0, 1).
func (s *utsState) uniform() float64 {
	r := binary.BigEndian.Uint32(s[sha1.Size-4:]) &^ (1 << 31)
	return float64(r) / (1 << 31)
}

// children returns the number of children of the node with state s at
// depth d (the root is at depth 0).
func (t *UTSTree) children(s *utsState, d int) int {
	var n int
	switch t.Type {
	case UTSBinomial:
		if d == 0 {
			return int(math.Ceil(t.B0)) // the root: exempt from the cap
		}
		if s.uniform() < t.Q {
			n = t.M
		}
	default:
		n = t.geometric(s.uniform(), d)
	}
	return min(n, utsMaxChildren)
}

// geometric draws a geometric child count of mean b_d from uniform u.
func (t *UTSTree) geometric(u float64, d int) int {
	b := t.B0 // b_d at the root, whatever the shape
	if d > 0 {
		gen := float64(t.Depth)
		switch t.Shape {
		case UTSExpDec:
			b = t.B0 * math.Pow(float64(d), -math.Log(t.B0)/math.Log(gen))
		case UTSCyclic:
			if d > 5*t.Depth {
				return 0
			}
			b = math.Pow(t.B0, math.Sin(2*math.Pi*float64(d)/gen))
		case UTSFixed:
			if d >= t.Depth {
				return 0
			}
		default: // UTSLinear
			b = t.B0 * (1 - float64(d)/gen)
		}
	}
	if b <= 0 {
		return 0
	}
	p := 1 / (1 + b)
	return int(math.Floor(math.Log(1-u) / math.Log(1-p)))
}
