package latency

import (
	"math"
	"testing"
)

// TestChooseScanLen drives the scan-length search with fake, affine
// costs and checks that it finds the length that gives the target ratio
// for each, reports the ratio it measured (not the target), and derives
// the poll interval from the per-key cost.
func TestChooseScanLen(t *testing.T) {
	for _, tc := range []struct {
		get, setup, perKey float64 // ns
		target             float64
	}{
		{1000, 3000, 250, 100},
		{2000, 3000, 250, 100}, // a slower GET needs a longer SCAN
		{1500, 500, 40, 100},
		{1000, 3000, 250, 20},
	} {
		scans := 0
		c := chooseScanLen(tc.target, 1_000_000,
			func() float64 { return tc.get },
			func(n int) float64 { scans++; return tc.setup + tc.perKey*float64(n) })
		want := (tc.target*tc.get - tc.setup) / tc.perKey
		if math.Abs(float64(c.ScanLen)-want) > 0.06*want {
			t.Errorf("%+v: scan length %d, want about %.0f", tc, c.ScanLen, want)
		}
		if c.GetNs != tc.get || c.ScanNs != tc.setup+tc.perKey*float64(c.ScanLen) {
			t.Errorf("%+v: costs %v/%v are not the measured ones", tc, c.GetNs, c.ScanNs)
		}
		if c.Ratio != c.ScanNs/c.GetNs || math.Abs(c.Ratio/tc.target-1) > 0.05 {
			t.Errorf("%+v: ratio %v, want ScanNs/GetNs = %v within 5%% of %v", tc, c.Ratio, c.ScanNs/c.GetNs, tc.target)
		}
		if c.Rounds != scans || c.Rounds > 6 {
			t.Errorf("%+v: %d rounds reported, %d scans measured", tc, c.Rounds, scans)
		}
		perKey := (c.ScanNs - c.GetNs) / float64(c.ScanLen)
		if want := math.Round(pollIntervalNs / perKey); float64(c.CheckEvery) != max(1, want) {
			t.Errorf("%+v: polls every %d keys, want %v", tc, c.CheckEvery, want)
		}
	}
}

// TestChooseScanLenBounded checks that the search stops at the longest
// scan the database allows and reports the ratio it reached there.
func TestChooseScanLenBounded(t *testing.T) {
	c := chooseScanLen(100, 300, func() float64 { return 1000 }, func(n int) float64 { return 100 * float64(n) })
	if c.ScanLen != 300 || c.Ratio != 30 {
		t.Errorf("scan length %d ratio %v, want 300 and 30", c.ScanLen, c.Ratio)
	}
}

// TestKVCalibrate builds a small database, calibrates it for real, and
// checks that the result is a measurement (the ratio is the measured SCAN
// cost over the measured GET cost, both positive) and that both request
// kinds run. It asserts no duration.
func TestKVCalibrate(t *testing.T) {
	kv, err := OpenKV(KVConfig{Keys: 5000, ValueBytes: 32})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := kv.Close(); err != nil {
			t.Error(err)
		}
	}()
	c, err := kv.CalibrateScan(20, 501)
	if err != nil {
		t.Fatal(err)
	}
	if !(c.GetNs > 0 && c.ScanNs > 0) || c.ScanLen < 1 || c.ScanLen > 5000 || c.Ratio != c.ScanNs/c.GetNs || c.Keys != 5000 {
		t.Fatalf("calibration %+v", c)
	}
	t.Logf("%v", c)
	if n, err := kv.scan(3, c.ScanLen, nil); err != nil || n != c.ScanLen*(8+32) {
		t.Errorf("scan of %d keys read %d bytes (%v), want %d", c.ScanLen, n, err, c.ScanLen*40)
	}
	for _, v := range []Variant{Coop, Uncoop} {
		var polls countCheck
		w := kv.Workload(v)
		w.Serve(1, KindShort, &polls)
		w.Serve(2, KindLong, &polls)
		want := 0
		if v == Coop {
			want = c.ScanLen / c.CheckEvery
		}
		if int(polls) != want {
			t.Errorf("%s: %d polls in one SCAN of %d keys, want %d", v, polls, c.ScanLen, want)
		}
	}
}

// TestSpinPolls checks that a cooperative long spin request polls about
// every CheckEvery iterations and an uncooperative one never does.
func TestSpinPolls(t *testing.T) {
	c := SpinCalibration{ItersPerUs: 100, ShortIters: 500, LongIters: 50_000, CheckEvery: 200}
	for _, tc := range []struct {
		v    Variant
		kind uint32
		want int
	}{{Coop, KindLong, 250}, {Uncoop, KindLong, 0}, {Coop, KindShort, 0}} {
		var polls countCheck
		c.Workload(tc.v).Serve(1, tc.kind, &polls)
		if int(polls) != tc.want {
			t.Errorf("%s kind %d: %d polls, want %d", tc.v, tc.kind, polls, tc.want)
		}
	}
}

type countCheck int

func (c *countCheck) Check() { *c++ }
