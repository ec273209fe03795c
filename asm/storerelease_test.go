package asm_test

import (
	"sync/atomic"
	"testing"

	"github.com/usched/usched/asm"
)

func TestStoreRelease(t *testing.T) {
	var x int64
	for _, v := range []int64{1, -1, 1 << 62, 0} {
		asm.StoreRelease(&x, v)
		if got := atomic.LoadInt64(&x); got != v {
			t.Fatalf("after StoreRelease(%d), atomic load reads %d", v, got)
		}
	}
}

func BenchmarkStoreRelease(b *testing.B) {
	// The two ways a Chase-Lev owner can publish bottom, side by side:
	// asm.StoreRelease, and sync/atomic's sequentially consistent store
	// (XCHG on amd64).
	var x struct {
		_ [64]byte
		v int64
		_ [64]byte
	}
	b.Run("asm", func(b *testing.B) {
		var i int64
		for b.Loop() {
			i++
			asm.StoreRelease(&x.v, i)
		}
	})
	b.Run("atomic", func(b *testing.B) {
		var i int64
		for b.Loop() {
			i++
			atomic.StoreInt64(&x.v, i)
		}
	})
}
