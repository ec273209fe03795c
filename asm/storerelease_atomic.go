//go:build (!amd64 && !arm64) || race

package asm

import "sync/atomic"

// StoreRelease stores v at *addr with at least release semantics: here a
// sequentially consistent atomic.StoreInt64, which is stronger, because
// this architecture has no assembly for it or the race detector, which
// cannot see assembly, must see the store. See storerelease_asm.go for
// the contract. addr must be 8-byte aligned.
func StoreRelease(addr *int64, v int64) { atomic.StoreInt64(addr, v) }
