package steal

import "math/bits"

// RandomOrder enumerates 0..count-1 (the Ps to try as steal victims) in a
// cheap pseudo-random order, after Go's runtime randomOrder (proc.go).
//
// An enumeration starts at a random position and walks with a random stride
// that is coprime with count, so it visits every index exactly once without
// allocating or shuffling. It is not a uniform random permutation (there are
// only count*phi(count) of them), which is enough to keep thieves from all
// hitting the same victim first.
//
// The zero value enumerates nothing; call Reset first. Reset must not run
// concurrently with Start; Start may run concurrently with itself.
type RandomOrder struct {
	count    uint32
	coprimes []uint32 // every stride in [1, count] coprime with count
}

// Reset prepares o to enumerate 0..count-1. It allocates, so call it when
// the number of Ps changes, not per steal.
func (o *RandomOrder) Reset(count uint32) {
	o.count = count
	o.coprimes = o.coprimes[:0]
	for i := uint32(1); i <= count; i++ {
		if gcd(i, count) == 1 {
			o.coprimes = append(o.coprimes, i)
		}
	}
}

// Start returns an enumeration chosen by seed: the low part picks the first
// position, the high part the stride. Pass a fresh random value (Rand.Uint32)
// per steal round.
func (o *RandomOrder) Start(seed uint32) RandomEnum {
	if o.count == 0 {
		return RandomEnum{} // already Done
	}
	return RandomEnum{
		count: o.count,
		pos:   seed % o.count,
		inc:   o.coprimes[seed/o.count%uint32(len(o.coprimes))],
	}
}

// RandomEnum is one enumeration from RandomOrder.Start:
//
//	for e := order.Start(rng.Uint32()); !e.Done(); e.Next() {
//		victim := e.Position()
//	}
type RandomEnum struct {
	i     uint32 // how many positions were visited
	count uint32
	pos   uint32
	inc   uint32
}

// Done reports whether every index has been visited.
func (e *RandomEnum) Done() bool { return e.i == e.count }

// Next moves to the next index.
func (e *RandomEnum) Next() {
	e.i++
	e.pos = (e.pos + e.inc) % e.count
}

// Position returns the current index, in [0, count).
func (e *RandomEnum) Position() uint32 { return e.pos }

func gcd(a, b uint32) uint32 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Rand is a small, fast pseudo-random generator (wyrand) for one goroutine:
// no locks and no shared state, unlike math/rand's globals, so each M can
// own one. It is not safe for concurrent use and not cryptographic. The zero
// value is a valid generator; NewRand picks another stream.
type Rand struct{ state uint64 }

// NewRand returns a generator seeded with seed. Equal seeds give equal
// sequences, which keeps tests reproducible.
func NewRand(seed uint64) Rand { return Rand{state: seed} }

// Uint64 returns a pseudo-random 64-bit value.
func (r *Rand) Uint64() uint64 {
	// wyrand (Wang Yi): a Weyl sequence, mixed by a 64x64->128 multiply.
	// It is what Go's runtime cheaprand uses on 64-bit platforms.
	r.state += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.state, r.state^0xe7037ed1a0b428db)
	return hi ^ lo
}

// Uint32 returns a pseudo-random 32-bit value.
func (r *Rand) Uint32() uint32 { return uint32(r.Uint64()) }

// Uint32n returns a pseudo-random value in [0, n); n must be > 0. It uses
// Lemire's multiply-shift, which is cheaper than % and biased by at most
// n/2^32, irrelevant for victim choice.
func (r *Rand) Uint32n(n uint32) uint32 {
	return uint32((uint64(r.Uint32()) * uint64(n)) >> 32)
}
