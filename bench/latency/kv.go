package latency

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"
)

// KV is workload B: a pebble database on pebble's in-memory filesystem,
// preloaded with keys 0..Keys-1 (8-byte big-endian, so that byte order is
// numeric order) and values of ValueBytes. A short request is a point GET
// of a key drawn from the request id, a long one a SCAN of ScanLen keys
// from such a key.
type KV struct {
	db      *pebble.DB
	cache   interface{ Unref() }
	keys    int
	scanLen int
	// checkEvery is how many keys a cooperative SCAN reads between polls.
	checkEvery int
	coop       bool
}

// KVConfig sizes workload B.
type KVConfig struct {
	Keys       int `json:"keys"`
	ValueBytes int `json:"value_bytes"`
}

// quietLogger drops pebble's informational messages, which would land in
// the middle of the driver's output, and keeps its errors.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}
func (quietLogger) Errorf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
}
func (quietLogger) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pebble: fatal: "+format+"\n", args...)
	os.Exit(1)
}

// OpenKV builds the database: a batch of every key, a flush, and a full
// compaction, so that every read goes through the same sstable levels and
// no background work remains when the measurement starts. The block cache
// is large enough for the whole database, so that reads cost CPU only.
func OpenKV(cfg KVConfig) (*KV, error) {
	cache := pebble.NewCache(int64(cfg.Keys)*int64(cfg.ValueBytes+64)*2 + 8<<20)
	db, err := pebble.Open("", &pebble.Options{
		FS:         vfs.NewMem(),
		Cache:      cache,
		Logger:     quietLogger{},
		DisableWAL: true,
	})
	if err != nil {
		cache.Unref()
		return nil, fmt.Errorf("latency: opening pebble: %w", err)
	}
	kv := &KV{db: db, cache: cache, keys: cfg.Keys}
	val := make([]byte, cfg.ValueBytes)
	for i := range val {
		val[i] = byte('a' + i%26)
	}
	b := db.NewBatch()
	var key [8]byte
	for i := range cfg.Keys {
		binary.BigEndian.PutUint64(key[:], uint64(i))
		if err := b.Set(key[:], val, nil); err != nil {
			kv.Close()
			return nil, err
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		kv.Close()
		return nil, err
	}
	if err := db.Flush(); err != nil {
		kv.Close()
		return nil, err
	}
	var lo, hi [8]byte
	binary.BigEndian.PutUint64(hi[:], uint64(cfg.Keys))
	if err := db.Compact(lo[:], hi[:], false); err != nil {
		kv.Close()
		return nil, err
	}
	return kv, nil
}

// Close closes the database and releases its cache.
func (kv *KV) Close() error {
	err := kv.db.Close()
	kv.cache.Unref()
	return err
}

// keyOf maps a request id to a key index (a multiplicative hash, so that
// consecutive requests read unrelated keys); a SCAN starts low enough to
// read scanLen keys.
func (kv *KV) keyOf(id uint64, span int) uint64 {
	return (id * 0x9e3779b97f4a7c15 >> 11) % uint64(max(1, kv.keys-span))
}

// get reads one key and returns a byte of its value.
func (kv *KV) get(id uint64) (byte, error) {
	var key [8]byte
	binary.BigEndian.PutUint64(key[:], kv.keyOf(id, 0))
	v, closer, err := kv.db.Get(key[:])
	if err != nil {
		return 0, err
	}
	b := v[len(v)-1]
	return b, closer.Close()
}

// scan reads n keys from a key drawn from id, polling chk every
// checkEvery keys when chk is not nil, and returns the bytes read.
func (kv *KV) scan(id uint64, n int, chk Checker) (int, error) {
	var key [8]byte
	binary.BigEndian.PutUint64(key[:], kv.keyOf(id, n))
	it, err := kv.db.NewIter(nil)
	if err != nil {
		return 0, err
	}
	sum := 0
	i := 0
	for ok := it.SeekGE(key[:]); ok && i < n; ok = it.Next() {
		sum += len(it.Key()) + len(it.Value())
		i++
		if chk != nil && i%kv.checkEvery == 0 {
			chk.Check()
		}
	}
	if i != n {
		err = fmt.Errorf("latency: scan from key %x read %d keys, want %d", key, i, n)
	}
	return sum, errors.Join(err, it.Close())
}

// ScanCalibration is workload B's start-up measurement on the executor CPU.
type ScanCalibration struct {
	Keys       int     `json:"keys"`
	GetNs      float64 `json:"get_ns"`           // median cost of a point GET
	ScanLen    int     `json:"scan_len"`         // keys per SCAN, chosen to hit TargetRatio
	ScanNs     float64 `json:"scan_ns"`          // median cost of a SCAN of ScanLen keys
	Ratio      float64 `json:"ratio"`            // ScanNs / GetNs, as measured
	Target     float64 `json:"target_ratio"`     // the ratio aimed at
	CheckEvery int     `json:"check_every_keys"` // keys between polls in a cooperative SCAN
	Rounds     int     `json:"rounds"`           // measurement rounds the search took
}

// MeanServiceNs returns the mean cost of a request when a fraction
// longFrac of them are SCANs.
func (c ScanCalibration) MeanServiceNs(longFrac float64) float64 {
	return (1-longFrac)*c.GetNs + longFrac*c.ScanNs
}

func (c ScanCalibration) String() string {
	return fmt.Sprintf("pebble (%d keys, in memory): GET %.2f µs, SCAN of %d keys %.1f µs (median): ratio %.1f (target %.0f, %d rounds); cooperative SCAN polls every %d keys",
		c.Keys, c.GetNs/1e3, c.ScanLen, c.ScanNs/1e3, c.Ratio, c.Target, c.Rounds, c.CheckEvery)
}

// chooseScanLen finds the scan length whose measured cost is target times
// the measured GET cost. SCAN cost is close to affine in its length (an
// iterator's set-up plus a per-key step), so each round measures the
// current length and rescales it by the ratio still missing, as a secant
// step through the origin would; it stops within 5% or after 6 rounds.
// The measurements are parameters so that tests can check the search
// itself; the result always carries the ratio as measured, not as aimed.
//
// A SCAN reads at most maxLen keys (the database's size bounds it); if the
// target needs more, the result stops there with the lower ratio it
// measured.
func chooseScanLen(target float64, maxLen int, measureGet func() float64, measureScan func(n int) float64) ScanCalibration {
	c := ScanCalibration{Target: target, GetNs: measureGet()}
	n := min(100, maxLen)
	for c.Rounds = 1; ; c.Rounds++ {
		s := measureScan(n)
		c.ScanLen, c.ScanNs, c.Ratio = n, s, s/c.GetNs
		if math.Abs(c.Ratio/target-1) < 0.05 || c.Rounds == 6 {
			break
		}
		next := int(math.Round(float64(n) * target / c.Ratio))
		next = min(max(next, 1), maxLen)
		if next == n {
			break
		}
		n = next
	}
	perKey := max(c.ScanNs-c.GetNs, 1) / float64(c.ScanLen)
	c.CheckEvery = max(1, int(math.Round(pollIntervalNs/perKey)))
	return c
}

// CalibrateScan measures GET and SCAN on kv and sets kv's scan length and
// poll interval to the result.
func (kv *KV) CalibrateScan(target float64, gets int) (ScanCalibration, error) {
	gets = max(gets, 101)
	var failed error
	get := func() float64 {
		for i := range gets { // warm-up: caches, branch predictors
			if _, err := kv.get(uint64(i)); err != nil {
				failed = err
			}
		}
		return medianNs(gets, func(i int) {
			if _, err := kv.get(uint64(i) + 1e6); err != nil {
				failed = err
			}
		})
	}
	scan := func(n int) float64 {
		return medianNs(max(gets/100, 21), func(i int) {
			if _, err := kv.scan(uint64(i), n, nil); err != nil {
				failed = err
			}
		})
	}
	c := chooseScanLen(target, max(1, kv.keys/2), get, scan)
	c.Keys = kv.keys
	kv.SetScan(c)
	return c, failed
}

// SetScan sets the scan length and poll interval (from a calibration made
// in another process on the same data).
func (kv *KV) SetScan(c ScanCalibration) {
	kv.scanLen, kv.checkEvery = c.ScanLen, c.CheckEvery
}

// Workload returns workload B in variant v. Use only one variant of a KV
// at a time.
func (kv *KV) Workload(v Variant) Workload {
	kv.coop = v == Coop
	return kv
}

// Serve runs one request. A failed read is a broken experiment, not a slow
// request: it panics (in the child, which then exits with the message).
func (kv *KV) Serve(id uint64, kind uint32, chk Checker) {
	var err error
	if kind == KindShort {
		_, err = kv.get(id)
	} else {
		if !kv.coop {
			chk = nil
		}
		_, err = kv.scan(id, kv.scanLen, chk)
	}
	if err != nil {
		panic(err)
	}
}
