package sim

import (
	"testing"
	"time"
)

func TestDefaultBands(t *testing.T) {
	b := DefaultBands()
	tests := []struct {
		at   string // local time in Brussels
		want int
	}{
		{"2026-03-02 06:59", 2}, // Monday before 07:00
		{"2026-03-02 07:00", 1},
		{"2026-03-02 21:59", 1},
		{"2026-03-02 22:00", 2},
		{"2026-03-06 23:30", 2}, // Friday night
		{"2026-03-07 12:00", 2}, // Saturday noon
		{"2026-03-08 18:00", 2}, // Sunday
		{"2026-03-09 07:15", 1}, // Monday morning
		{"2026-07-15 12:00", 1}, // summer time changes nothing in local time
	}
	for _, tt := range tests {
		lt, err := time.ParseInLocation("2006-01-02 15:04", tt.at, Brussels)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.Tariff(lt); got != tt.want {
			t.Errorf("Tariff(%s) = %d, want %d", tt.at, got, tt.want)
		}
	}
}

func TestBandsDaytimeNight(t *testing.T) {
	// A band that does not cross midnight, weekends not special.
	b := TimeBands{NightStart: 13 * time.Hour, NightEnd: 15 * time.Hour}
	sat := time.Date(2026, 3, 7, 14, 0, 0, 0, Brussels)
	if !b.Night(sat) || b.Night(sat.Add(-2*time.Hour)) || b.Night(sat.Add(time.Hour)) {
		t.Fatal("13:00-15:00 band misplaced")
	}
}

func TestBandsValidate(t *testing.T) {
	for _, b := range []TimeBands{
		{NightStart: 22*time.Hour + 10*time.Minute, NightEnd: 7 * time.Hour},
		{NightStart: 24 * time.Hour},
		{NightEnd: -15 * time.Minute},
	} {
		if b.Validate() == nil {
			t.Errorf("%+v validated", b)
		}
	}
	if err := DefaultBands().Validate(); err != nil {
		t.Fatal(err)
	}
}
