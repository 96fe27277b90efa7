package axdr

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Brussels on machines without a zoneinfo database
)

func brussels(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestDateTimeParse(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want DateTime
		text string
	}{
		{"clock of the interop server", "07ea 0b 1b 05 02 24 04 00 0000 00",
			DateTime{Date{2026, 11, 27, 5}, Time{2, 36, 4, 0}, 0, 0},
			"2026-11-27T02:36:04.00+00:00"},
		{"Brussels winter", "07ea 01 0f 04 0a 00 00 00 ffc4 00",
			DateTime{Date{2026, 1, 15, 4}, Time{10, 0, 0, 0}, -60, 0},
			"2026-01-15T10:00:00.00+01:00"},
		{"Brussels summer", "07ea 07 01 03 0c 1e 00 00 ff88 80",
			DateTime{Date{2026, 7, 1, 3}, Time{12, 30, 0, 0}, -120, StatusDaylightSaving},
			"2026-07-01T12:30:00.00+02:00 [dst]"},
		{"west of UTC, half hour", "07ea 07 01 03 0c 1e 00 00 00d2 00",
			DateTime{Date{2026, 7, 1, 3}, Time{12, 30, 0, 0}, 210, 0},
			"2026-07-01T12:30:00.00-03:30"},
		{"nothing specified", "ffff ff ff ff ff ff ff ff 8000 ff",
			DateTime{Date{YearNotSpecified, NotSpecified, NotSpecified, NotSpecified}, Time{NotSpecified, NotSpecified, NotSpecified, NotSpecified}, DeviationNotSpecified, StatusNotSpecified},
			"****-**-**T**:**:** [not-specified]"},
		{"every day at midnight", "ffff ff ff ff 00 00 00 ff 8000 00",
			DateTime{Date{YearNotSpecified, NotSpecified, NotSpecified, NotSpecified}, Time{0, 0, 0, NotSpecified}, DeviationNotSpecified, 0},
			"****-**-**T00:00:00"},
		{"last Sunday of the DST begin month", "ffff fe fe 07 02 00 00 00 8000 ff",
			DateTime{Date{YearNotSpecified, MonthDSTBegin, DayLast, 7}, Time{2, 0, 0, 0}, DeviationNotSpecified, StatusNotSpecified},
			"****-dst-begin-lastT02:00:00.00 Sun [not-specified]"},
		{"second last day of DST end month", "07ea fd fd ff 03 00 00 ff 8000 00",
			DateTime{Date{2026, MonthDSTEnd, DaySecondLast, NotSpecified}, Time{3, 0, 0, NotSpecified}, DeviationNotSpecified, 0},
			"2026-dst-end-second-lastT03:00:00"},
		{"weekday that does not match", "07ea 0b 1b 01 02 24 04 ff 0000 00",
			DateTime{Date{2026, 11, 27, 1}, Time{2, 36, 4, NotSpecified}, 0, 0},
			"2026-11-27T02:36:04+00:00 Mon"},
		{"status bits", "07ea 0b 1b 05 02 24 04 63 0000 0f",
			DateTime{Date{2026, 11, 27, 5}, Time{2, 36, 4, 99}, 0, StatusInvalid | StatusDoubtful | StatusDifferentBase | StatusInvalidClock},
			"2026-11-27T02:36:04.99+00:00 [invalid,doubtful,different-base,invalid-status]"},
		{"out of range kept", "07ea 0d 20 09 18 3c 3c 64 0000 40",
			DateTime{Date{2026, 13, 32, 9}, Time{24, 60, 60, 100}, 0, 0x40},
			"2026-13-32T24:60:60.100+00:00 weekday(9) [0x40]"},
		{"all zero", "0000 00 00 00 00 00 00 00 0000 00",
			DateTime{},
			"0000-00-00T00:00:00.00+00:00 weekday(0)"},
	}
	for _, tt := range tests {
		in := unhex(t, tt.hex)
		got, err := ParseDateTime(in)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: ParseDateTime = %+v, want %+v", tt.name, got, tt.want)
		}
		if s := got.String(); s != tt.text {
			t.Errorf("%s: String() = %q, want %q", tt.name, s, tt.text)
		}
		if enc := got.Append(nil); !bytes.Equal(enc, in) {
			t.Errorf("%s: Append = %x, want %x", tt.name, enc, in)
		}
		// The same bytes as an octet-string and as the date-time type.
		for _, d := range []Data{DateTimeData(got), TaggedDateTime(got)} {
			back, err := d.DateTime()
			if err != nil || back != got || !bytes.Equal(d.Bytes, in) {
				t.Errorf("%s: %s round trip: %+v, %v", tt.name, d.Tag, back, err)
			}
		}
	}
}

func TestDateTimeSizes(t *testing.T) {
	for _, n := range []int{0, 11, 13} {
		if _, err := ParseDateTime(make([]byte, n)); !errors.Is(err, ErrDateTime) {
			t.Errorf("ParseDateTime(%d bytes): %v", n, err)
		}
	}
	if _, err := ParseDate(make([]byte, 4)); !errors.Is(err, ErrDateTime) || err.Error() != "bad COSEM date-time: date of 4 bytes, want 5" {
		t.Errorf("ParseDate(4 bytes): %v", err)
	}
	if _, err := ParseTime(make([]byte, 5)); !errors.Is(err, ErrDateTime) || err.Error() != "bad COSEM date-time: time of 5 bytes, want 4" {
		t.Errorf("ParseTime(5 bytes): %v", err)
	}
	if _, err := OctetString(make([]byte, 11)).DateTime(); !errors.Is(err, ErrDateTime) {
		t.Errorf("DateTime of an 11-byte octet-string: %v", err)
	}
	if _, err := Uint32(5).DateTime(); !errors.Is(err, ErrType) {
		t.Errorf("DateTime of a double-long-unsigned: %v", err)
	}
	if _, err := Uint32(5).Date(); !errors.Is(err, ErrType) {
		t.Errorf("Date of a double-long-unsigned: %v", err)
	}
	if _, err := TaggedDate(Date{}).Time(); !errors.Is(err, ErrType) {
		t.Errorf("Time of a date: %v", err)
	}
}

func TestDateAndTime(t *testing.T) {
	tests := []struct {
		hex  string
		tag  Tag
		text string
	}{
		{"1a 07ea0b1b05", TagDate, "2026-11-27"},
		{"1a ffffff ff 01", TagDate, "****-**-** Mon"},
		{"1a 07eaff01ff", TagDate, "2026-**-01"},
		{"1b 02240400", TagTime, "02:36:04.00"},
		{"1b ff1eff ff", TagTime, "**:30:**"},
	}
	for _, tt := range tests {
		in := unhex(t, tt.hex)
		d, _, err := Decode(in)
		if err != nil || d.Tag != tt.tag {
			t.Fatalf("Decode(%s) = %v, %v", tt.hex, d, err)
		}
		var text string
		var enc []byte
		if tt.tag == TagDate {
			v, err := d.Date()
			if err != nil {
				t.Fatal(err)
			}
			text, enc = v.String(), TaggedDate(v).Encode()
			if back, _ := DateData(v).Date(); back != v {
				t.Errorf("DateData(%v) round trip: %v", v, back)
			}
		} else {
			v, err := d.Time()
			if err != nil {
				t.Fatal(err)
			}
			text, enc = v.String(), TaggedTime(v).Encode()
			if back, _ := TimeData(v).Time(); back != v {
				t.Errorf("TimeData(%v) round trip: %v", v, back)
			}
		}
		if text != tt.text || !bytes.Equal(enc, in) {
			t.Errorf("%s: %q, re-encoded %x; want %q", tt.hex, text, enc, tt.text)
		}
	}
}

func TestDateTimeValidate(t *testing.T) {
	ok := DateTime{Date{2026, 2, 28, 6}, Time{23, 59, 59, 99}, 720, 0}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate(%v): %v", ok, err)
	}
	tests := []struct {
		change func(*DateTime)
		want   string
	}{
		{func(d *DateTime) { d.Month = 0 }, "month 0 out of range"},
		{func(d *DateTime) { d.Month = 13 }, "month 13 out of range"},
		{func(d *DateTime) { d.Day = 0 }, "day of month 0 out of range"},
		{func(d *DateTime) { d.Day = 0xFC }, "day of month 252 out of range"},
		{func(d *DateTime) { d.Weekday = 8 }, "day of week 8 out of range"},
		{func(d *DateTime) { d.Hour = 24 }, "hour 24 out of range"},
		{func(d *DateTime) { d.Minute = 60 }, "minute 60 out of range"},
		{func(d *DateTime) { d.Second = 60 }, "second 60 out of range"},
		{func(d *DateTime) { d.Hundredths = 100 }, "hundredths 100 out of range"},
		{func(d *DateTime) { d.Deviation = 721 }, "deviation 721 out of range"},
		{func(d *DateTime) { d.Deviation = -721 }, "deviation -721 out of range"},
	}
	for _, tt := range tests {
		dt := ok
		tt.change(&dt)
		err := dt.Validate()
		if !errors.Is(err, ErrDateTime) || !strings.HasSuffix(err.Error(), tt.want) {
			t.Errorf("Validate(%v) = %v, want %q", dt, err, tt.want)
		}
		if _, err := dt.AsTime(); err == nil {
			t.Errorf("AsTime(%v) succeeded", dt)
		}
	}
}

func TestDateTimeAsTime(t *testing.T) {
	tests := []struct {
		hex  string
		want string // RFC 3339 with nanoseconds, in the fixed zone
	}{
		{"07ea 0b 1b 05 02 24 04 00 0000 00", "2026-11-27T02:36:04Z"},
		{"07ea 01 0f 04 0a 00 00 00 ffc4 00", "2026-01-15T10:00:00+01:00"},
		{"07ea 07 01 03 0c 1e 00 32 ff88 80", "2026-07-01T12:30:00.5+02:00"},
		{"07ea 07 01 ff 0c 1e 00 ff 00d2 00", "2026-07-01T12:30:00-03:30"},
		// A meter in Austria in summer: local time with -120.
		{"07e8 06 0f 06 14 17 2d 00 ff88 80", "2024-06-15T20:23:45+02:00"},
		{"07e4 02 1d 06 00 00 00 00 0000 00", "2020-02-29T00:00:00Z"},
	}
	for _, tt := range tests {
		dt, err := ParseDateTime(unhex(t, tt.hex))
		if err != nil {
			t.Fatal(err)
		}
		got, err := dt.AsTime()
		if err != nil {
			t.Errorf("%s: AsTime: %v", tt.hex, err)
			continue
		}
		if s := got.Format(time.RFC3339Nano); s != tt.want {
			t.Errorf("%s: AsTime = %s, want %s", tt.hex, s, tt.want)
		}
	}
	// The Austrian meter's reading is 18:23:45 UTC.
	dt, _ := ParseDateTime(unhex(t, "07e8 06 0f 06 14 17 2d 00 ff88 80"))
	if got, _ := dt.AsTime(); !got.Equal(time.Date(2024, 6, 15, 18, 23, 45, 0, time.UTC)) {
		t.Errorf("UTC = local + deviation does not hold: %v", got.UTC())
	}
}

func TestDateTimeAsTimeErrors(t *testing.T) {
	base := DateTime{Date{2026, 3, 29, 7}, Time{2, 30, 0, 0}, -60, 0}
	tests := []struct {
		change func(*DateTime)
		want   string
	}{
		{func(d *DateTime) { d.Year = YearNotSpecified }, "year not specified"},
		{func(d *DateTime) { d.Month = NotSpecified }, "month not specified"},
		{func(d *DateTime) { d.Month = MonthDSTBegin }, "month (daylight saving begin or end) not specified"},
		{func(d *DateTime) { d.Day = NotSpecified }, "day of month not specified"},
		{func(d *DateTime) { d.Day = DayLast }, "day of month (last or second last) not specified"},
		{func(d *DateTime) { d.Hour = NotSpecified }, "hour not specified"},
		{func(d *DateTime) { d.Minute = NotSpecified }, "minute not specified"},
		{func(d *DateTime) { d.Second = NotSpecified }, "second not specified"},
		{func(d *DateTime) { d.Deviation = DeviationNotSpecified }, "deviation not specified"},
		{func(d *DateTime) { d.Month, d.Day = 2, 30 }, "2026-02 has no day 30"},
		{func(d *DateTime) { d.Year, d.Month, d.Day = 2025, 2, 29 }, "2025-02 has no day 29"},
		{func(d *DateTime) { d.Month, d.Day = 4, 31 }, "2026-04 has no day 31"},
	}
	for _, tt := range tests {
		dt := base
		tt.change(&dt)
		_, err := dt.AsTime()
		if !errors.Is(err, ErrDateTime) || !strings.HasSuffix(err.Error(), tt.want) {
			t.Errorf("AsTime(%v) = %v, want %q", dt, err, tt.want)
		}
	}
	// What is not needed may be missing: hundredths, day of week, status.
	dt := base
	dt.Hundredths, dt.Weekday, dt.Status = NotSpecified, NotSpecified, StatusNotSpecified
	if got, err := dt.AsTime(); err != nil || !got.Equal(time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)) {
		t.Errorf("AsTime(%v) = %v, %v", dt, got, err)
	}
}

func TestDateTimeAsTimeIn(t *testing.T) {
	loc := brussels(t)
	// No deviation: the fields are wall-clock time in loc.
	dt := DateTime{Date{2026, 7, 1, 3}, Time{12, 0, 0, NotSpecified}, DeviationNotSpecified, StatusNotSpecified}
	got, err := dt.AsTimeIn(loc)
	if err != nil || !got.Equal(time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("AsTimeIn(Brussels) = %v, %v; want 10:00 UTC", got, err)
	}
	if got, err := dt.AsTimeIn(nil); err != nil || !got.Equal(time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("AsTimeIn(nil) = %v, %v; want 12:00 UTC", got, err)
	}
	// A deviation wins over loc.
	dt.Deviation = 0
	if got, err := dt.AsTimeIn(loc); err != nil || !got.Equal(time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("AsTimeIn with deviation 0 = %v, %v; want 12:00 UTC", got, err)
	}
}

func TestDateTimeOf(t *testing.T) {
	loc := brussels(t)
	tests := []struct {
		utc  time.Time
		loc  *time.Location
		want string // hex
	}{
		// Winter, UTC+1: deviation -60, no DST.
		{time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC), loc, "07ea 01 0f 04 0a 00 00 00 ffc4 00"},
		// Summer, UTC+2: deviation -120, DST.
		{time.Date(2026, 7, 1, 10, 30, 0, 250_000_000, time.UTC), loc, "07ea 07 01 03 0c 1e 00 19 ff88 80"},
		// The last second of winter time and the first of summer time.
		{time.Date(2026, 3, 29, 0, 59, 59, 990_000_000, time.UTC), loc, "07ea 03 1d 07 01 3b 3b 63 ffc4 00"},
		{time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), loc, "07ea 03 1d 07 03 00 00 00 ff88 80"},
		// 02:30 happens twice on 25 October; the deviation tells which.
		{time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), loc, "07ea 0a 19 07 02 1e 00 00 ff88 80"},
		{time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), loc, "07ea 0a 19 07 02 1e 00 00 ffc4 00"},
		// UTC, a Sunday (7).
		{time.Date(2026, 11, 29, 23, 59, 59, 999_999_999, time.UTC), time.UTC, "07ea 0b 1d 07 17 3b 3b 63 0000 00"},
		// West of UTC.
		{time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC), time.FixedZone("", -5*3600), "07ea 07 01 03 07 00 00 00 012c 00"},
	}
	for _, tt := range tests {
		at := tt.utc.In(tt.loc)
		dt := DateTimeOf(at)
		if got := dt.Append(nil); !bytes.Equal(got, unhex(t, tt.want)) {
			t.Errorf("DateTimeOf(%v) = %x (%v), want %s", at, got, dt, tt.want)
			continue
		}
		back, err := dt.AsTime()
		if err != nil || !back.Equal(tt.utc.Truncate(10*time.Millisecond)) {
			t.Errorf("DateTimeOf(%v).AsTime() = %v, %v", at, back, err)
		}
	}
}

func TestDateOfTimeOf(t *testing.T) {
	at := time.Date(2026, 11, 27, 2, 36, 4, 123_456_789, time.UTC)
	if got, want := DateOf(at), (Date{2026, 11, 27, 5}); got != want {
		t.Errorf("DateOf = %v, want %v", got, want)
	}
	if got, want := TimeOf(at), (Time{2, 36, 4, 12}); got != want {
		t.Errorf("TimeOf = %v, want %v", got, want)
	}
}

func TestClockStatusString(t *testing.T) {
	tests := []struct {
		s    ClockStatus
		want string
	}{
		{0, "ok"},
		{StatusNotSpecified, "not-specified"},
		{StatusDaylightSaving, "dst"},
		{StatusInvalid | StatusDaylightSaving, "invalid,dst"},
		{0x30, "0x30"},
		{StatusDoubtful | 0x10, "doubtful,0x10"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("ClockStatus(%#x).String() = %q, want %q", uint8(tt.s), got, tt.want)
		}
	}
}

func TestDateTimeJSON(t *testing.T) {
	v := struct {
		At   DateTime `json:"at"`
		Day  Date     `json:"day"`
		Hour Time     `json:"hour"`
	}{
		DateTime{Date{2026, 7, 1, 3}, Time{12, 30, 0, 0}, -120, StatusDaylightSaving},
		Date{2026, 7, 1, NotSpecified},
		Time{12, 0, 0, NotSpecified},
	}
	b, err := json.Marshal(v)
	want := `{"at":"2026-07-01T12:30:00.00+02:00 [dst]","day":"2026-07-01","hour":"12:00:00"}`
	if err != nil || string(b) != want {
		t.Errorf("json.Marshal = %s, %v; want %s", b, err, want)
	}
}
