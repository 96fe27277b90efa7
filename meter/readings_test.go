package meter

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/openhes/hes/dlms"
)

var (
	regDay   = dlms.MustOBIS("1-0:1.8.1.255")
	regNight = dlms.MustOBIS("1-0:1.8.2.255")
	regGas   = dlms.MustOBIS("0-1:24.2.3.255")
)

func reading(id, day string, reg dlms.OBIS, v int64, q Quality) Reading {
	at, _ := time.ParseInLocation(time.DateOnly, day, time.UTC)
	return Reading{MeterID: id, Day: day, Register: reg, Value: v, Unit: UnitWattHour, Quality: q, CapturedAt: at.Add(-2 * time.Hour)}
}

func TestReadingsIdempotent(t *testing.T) {
	s, _ := newTestStore(t, nil)
	r := reading("A", "2025-03-30", regDay, 1234567, QualityEstimated)
	sum, err := s.PutReadings(r, reading("A", "2025-03-30", regNight, 7654321, QualityRead))
	if err != nil || sum != (PutSummary{Added: 2}) {
		t.Fatalf("first put: %+v, %v", sum, err)
	}
	// The same reading again, and one with another value at the same quality: kept.
	again := r
	again.Value = 999
	sum, err = s.PutReadings(r, again)
	if err != nil || sum != (PutSummary{Kept: 2}) {
		t.Errorf("second put: %+v, %v", sum, err)
	}
	// Worse quality: kept.
	sum, _ = s.PutReadings(reading("A", "2025-03-30", regDay, 5, QualityMissing))
	if sum != (PutSummary{Kept: 1}) {
		t.Errorf("worse quality: %+v", sum)
	}
	got, _ := s.Readings("A", "2025-03-30", "2025-03-30")
	if len(got) != 2 || got[0].Value != 1234567 || got[0].Quality != QualityEstimated {
		t.Fatalf("stored %+v", got)
	}
	// Better quality replaces.
	better := reading("A", "2025-03-30", regDay, 1234600, QualityRead)
	better.Scaler = -1
	sum, _ = s.PutReadings(better)
	if sum != (PutSummary{Replaced: 1}) {
		t.Errorf("better quality: %+v", sum)
	}
	got, _ = s.Readings("A", "2025-03-30", "2025-03-30")
	if len(got) != 2 || got[0].Value != 1234600 || got[0].Scaler != -1 || got[0].Quality != QualityRead || got[0].Register != regDay {
		t.Errorf("after replacement %+v", got)
	}
	if !got[0].StoredAt.Equal(testNow) || got[0].CapturedAt.Location() != time.UTC {
		t.Errorf("times %v %v", got[0].StoredAt, got[0].CapturedAt)
	}
	day, _ := s.ReadingsOn("2025-03-30")
	if len(day) != 2 {
		t.Errorf("ReadingsOn after replacement: %d readings, want 2 (the index must not duplicate)", len(day))
	}
}

func TestReadingsQueries(t *testing.T) {
	s, _ := newTestStore(t, nil)
	var rs []Reading
	for _, id := range []string{"B", "A", "A1"} {
		for _, d := range []string{"2025-02-27", "2025-02-28", "2025-03-01", "2025-03-02"} {
			rs = append(rs, reading(id, d, regNight, 2, QualityRead), reading(id, d, regDay, 1, QualityRead))
		}
	}
	rs = append(rs, reading("A", "2025-03-01", regGas, 3, QualityRead))
	if _, err := s.PutReadings(rs...); err != nil {
		t.Fatal(err)
	}
	got, err := s.Readings("A", "2025-02-28", "2025-03-01")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range got {
		keys = append(keys, r.MeterID+" "+r.Day+" "+r.Register.String())
	}
	want := "A 2025-02-28 1-0:1.8.1.255,A 2025-02-28 1-0:1.8.2.255,A 2025-03-01 0-1:24.2.3.255,A 2025-03-01 1-0:1.8.1.255,A 2025-03-01 1-0:1.8.2.255"
	if strings.Join(keys, ",") != want {
		t.Errorf("Readings(A)\n got %s\nwant %s", strings.Join(keys, ","), want)
	}
	on, _ := s.ReadingsOn("2025-03-02")
	keys = keys[:0]
	for _, r := range on {
		keys = append(keys, r.MeterID+" "+r.Register.String())
	}
	want = "A 1-0:1.8.1.255,A 1-0:1.8.2.255,A1 1-0:1.8.1.255,A1 1-0:1.8.2.255,B 1-0:1.8.1.255,B 1-0:1.8.2.255"
	if strings.Join(keys, ",") != want {
		t.Errorf("ReadingsOn\n got %s\nwant %s", strings.Join(keys, ","), want)
	}
	if got, _ := s.Readings("A", "2025-03-03", "2025-03-09"); len(got) != 0 {
		t.Errorf("empty range: %v", got)
	}
	if got, _ := s.Readings("C", "2025-01-01", "2025-12-31"); len(got) != 0 {
		t.Errorf("unknown meter: %v", got)
	}
	if _, err := s.Readings("A", "2025-3-1", "2025-03-02"); err == nil {
		t.Error("malformed day accepted")
	}
	if _, err := s.ReadingsOn("yesterday"); err == nil {
		t.Error("malformed day accepted")
	}
}

func TestReadingsValidation(t *testing.T) {
	s, _ := newTestStore(t, nil)
	good := reading("A", "2025-03-30", regDay, 1, QualityRead)
	tests := []struct {
		name string
		edit func(r *Reading)
		says string
	}{
		{"no meter", func(r *Reading) { r.MeterID = "" }, "id"},
		{"bad day", func(r *Reading) { r.Day = "30/03/2025" }, "want YYYY-MM-DD"},
		{"no register", func(r *Reading) { r.Register = dlms.OBIS{} }, "no register"},
		{"bad quality", func(r *Reading) { r.Quality = "good" }, `quality "good"`},
		{"no capture time", func(r *Reading) { r.CapturedAt = time.Time{} }, "no capture time"},
	}
	for _, tt := range tests {
		r := good
		tt.edit(&r)
		_, err := s.PutReadings(good, r)
		if !errors.Is(err, ErrInvalidReading) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.says)
		}
	}
	if got, _ := s.Readings("A", "2025-03-30", "2025-03-30"); len(got) != 0 {
		t.Errorf("a batch with an invalid reading stored %d", len(got))
	}
	missing := Reading{MeterID: "A", Day: "2025-03-30", Register: regDay, Quality: QualityMissing}
	if sum, err := s.PutReadings(missing); err != nil || sum.Added != 1 {
		t.Errorf("missing reading without capture time: %+v, %v", sum, err)
	}
}

func TestQuality(t *testing.T) {
	order := []Quality{QualityRead, QualityEstimated, QualityImplausible, QualityMissing}
	codes := []string{"01", "02", "04", "99"}
	for i, q := range order {
		if q.Code() != codes[i] {
			t.Errorf("%s code %s", q, q.Code())
		}
		for j, r := range order {
			if q.Better(r) != (i < j) {
				t.Errorf("%s better than %s: %v", q, r, q.Better(r))
			}
		}
	}
	if Quality("x").Code() != "" {
		t.Error("unknown quality has a code")
	}
}

func TestStoreDay(t *testing.T) {
	s, _ := newTestStore(t, nil)
	tests := []struct {
		at   string
		want string
	}{
		{"2025-03-29T22:59:59Z", "2025-03-29"}, // 23:59:59 CET
		{"2025-03-29T23:00:00Z", "2025-03-30"}, // midnight CET, the night of the change to summer time
		{"2025-10-25T21:59:59Z", "2025-10-25"}, // 23:59:59 CEST
		{"2025-10-25T22:00:00Z", "2025-10-26"},
	}
	for _, tt := range tests {
		at, _ := time.Parse(time.RFC3339, tt.at)
		if got := s.Day(at); got != tt.want {
			t.Errorf("Day(%s) = %s, want %s", tt.at, got, tt.want)
		}
	}
}

// BenchmarkPutReadings stores one meter's daily readings (six registers)
// per transaction, on a file that syncs each transaction.
func BenchmarkPutReadings(b *testing.B) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "hes.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s, err := OpenStore(db, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	regs := []dlms.OBIS{regDay, regNight, dlms.MustOBIS("1-0:2.8.1.255"), dlms.MustOBIS("1-0:2.8.2.255"), regGas, dlms.MustOBIS("1-0:1.8.0.255")}
	rs := make([]Reading, len(regs))
	i := 0
	for b.Loop() {
		id := "SIM" + strconv.Itoa(i)
		for j, r := range regs {
			rs[j] = reading(id, "2025-03-30", r, int64(i), QualityRead)
		}
		if _, err := s.PutReadings(rs...); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
