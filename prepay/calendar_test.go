package prepay

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDate(t *testing.T) {
	d := MustParseDate("2024-02-28")
	if got := d.AddDays(1).String(); got != "2024-02-29" {
		t.Errorf("AddDays(1) = %s", got)
	}
	if got := d.AddDays(2).String(); got != "2024-03-01" {
		t.Errorf("AddDays(2) = %s", got)
	}
	if got := d.AddDays(-59).String(); got != "2023-12-31" {
		t.Errorf("AddDays(-59) = %s", got)
	}
	if n := d.DaysUntil(MustParseDate("2025-02-28")); n != 366 {
		t.Errorf("DaysUntil = %d, want 366", n)
	}
	if d.Weekday() != time.Wednesday {
		t.Errorf("Weekday = %s", d.Weekday())
	}
	// The meter's day is the Brussels day: 23:30 UTC on 31 March is already
	// 1 April in Brussels.
	if got := DateOf(time.Date(2025, 3, 31, 23, 30, 0, 0, time.UTC), brussels).String(); got != "2025-04-01" {
		t.Errorf("DateOf = %s", got)
	}
	// The day of a DST change lasts 23 or 25 hours.
	spring := MustParseDate("2025-03-30")
	if h := spring.AddDays(1).Start(brussels).Sub(spring.Start(brussels)); h != 23*time.Hour {
		t.Errorf("30 March 2025 lasts %v", h)
	}
	autumn := MustParseDate("2025-10-26")
	if h := autumn.AddDays(1).Start(brussels).Sub(autumn.Start(brussels)); h != 25*time.Hour {
		t.Errorf("26 October 2025 lasts %v", h)
	}
	for _, bad := range []string{"2025-02-30", "25-01-01", "2025/01/01", ""} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	if _, err := ParseClockTime("8:00"); err == nil {
		t.Error(`ParseClockTime("8:00") accepted`)
	}
	if c, err := ParseClockTime("16:00"); err != nil || c != 960 || c.String() != "16:00" {
		t.Errorf("ParseClockTime(16:00) = %d, %v", c, err)
	}
}

func TestNDPDefault(t *testing.T) {
	c := DefaultNDP()
	for _, tc := range []struct {
		name string
		at   time.Time
		in   bool
		end  time.Time
	}{
		{"Friday 15:59", at(2025, time.March, 14, 15, 59), false, at(2025, time.March, 14, 15, 59)},
		{"Friday 16:00", at(2025, time.March, 14, 16, 0), true, at(2025, time.March, 17, 8, 0)},
		{"Tuesday 07:59", at(2025, time.March, 11, 7, 59), true, at(2025, time.March, 11, 8, 0)},
		{"Tuesday 08:00", at(2025, time.March, 11, 8, 0), false, at(2025, time.March, 11, 8, 0)},
		{"Tuesday 00:00", at(2025, time.March, 11, 0, 0), true, at(2025, time.March, 11, 8, 0)},
		{"Monday 23:59", at(2025, time.March, 10, 23, 59), true, at(2025, time.March, 11, 8, 0)},
		{"Saturday noon", at(2025, time.March, 15, 12, 0), true, at(2025, time.March, 17, 8, 0)},
		{"Sunday 23:59", at(2025, time.March, 16, 23, 59), true, at(2025, time.March, 17, 8, 0)},
		// Weekday public holidays are not covered by default.
		{"1 May 2025, a Thursday", at(2025, time.May, 1, 10, 0), false, at(2025, time.May, 1, 10, 0)},
		// DST changes happen on Sundays: the weekend covers them.
		{"spring DST Sunday 01:30", at(2025, time.March, 30, 1, 30), true, at(2025, time.March, 31, 8, 0)},
		{"autumn DST Saturday 20:00", at(2025, time.October, 25, 20, 0), true, at(2025, time.October, 27, 8, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.In(tc.at, brussels); got != tc.in {
				t.Errorf("In = %t, want %t", got, tc.in)
			}
			if got := c.End(tc.at, brussels); !got.Equal(tc.end) {
				t.Errorf("End = %v, want %v", got.In(brussels), tc.end)
			}
		})
	}
}

func TestNDPExtraDatesAndSeasons(t *testing.T) {
	c := DefaultNDP()
	c.ExtraDates = []Date{MustParseDate("2025-05-01")}
	c.Seasons = []Season{{From: MustParseDate("2025-12-01"), Until: MustParseDate("2026-02-27")}}
	for _, tc := range []struct {
		name string
		at   time.Time
		in   bool
		end  time.Time
	}{
		{"eve of the holiday 15:59", at(2025, time.April, 30, 15, 59), false, at(2025, time.April, 30, 15, 59)},
		{"eve of the holiday 16:00", at(2025, time.April, 30, 16, 0), true, at(2025, time.May, 2, 8, 0)},
		{"holiday noon", at(2025, time.May, 1, 12, 0), true, at(2025, time.May, 2, 8, 0)},
		{"in the season on a Wednesday", at(2026, time.January, 14, 10, 0), true, at(2026, time.March, 2, 8, 0)},
		{"day after the season", at(2026, time.February, 28, 10, 0), true, at(2026, time.March, 2, 8, 0)},
		{"before the season", at(2025, time.November, 28, 10, 0), false, at(2025, time.November, 28, 10, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.In(tc.at, brussels); got != tc.in {
				t.Errorf("In = %t, want %t", got, tc.in)
			}
			if got := c.End(tc.at, brussels); !got.Equal(tc.end) {
				t.Errorf("End = %v, want %v", got.In(brussels), tc.end)
			}
		})
	}
}

func TestNDPDSTWithoutWeekend(t *testing.T) {
	// Without the weekend rule the daily window runs through the nights of
	// the DST changes, which last 15 and 17 hours of real time.
	c := DefaultNDP()
	c.Weekend = false
	for _, tc := range []struct {
		name  string
		from  time.Time
		end   time.Time
		hours time.Duration
	}{
		{"spring forward", at(2025, time.March, 29, 16, 0), at(2025, time.March, 30, 8, 0), 15 * time.Hour},
		{"fall back", at(2025, time.October, 25, 16, 0), at(2025, time.October, 26, 8, 0), 17 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			end := c.End(tc.from, brussels)
			if !end.Equal(tc.end) || end.Sub(tc.from) != tc.hours {
				t.Errorf("End = %v after %v, want %v after %v", end.In(brussels), end.Sub(tc.from), tc.end, tc.hours)
			}
			// The hour that does not exist, or happens twice, is inside.
			if !c.In(time.Date(2025, time.March, 30, 1, 0, 0, 0, time.UTC), brussels) ||
				!c.In(time.Date(2025, time.October, 26, 0, 30, 0, 0, time.UTC), brussels) ||
				!c.In(time.Date(2025, time.October, 26, 1, 30, 0, 0, time.UTC), brussels) {
				t.Error("a DST night hour is outside the window")
			}
			if c.In(end, brussels) || !c.In(end.Add(-time.Second), brussels) {
				t.Error("End is not the first instant outside")
			}
		})
	}
}

func TestNDPDaytimeWindowAndNone(t *testing.T) {
	c := NDPCalendar{WeekdayFrom: 9 * 60, WeekdayUntil: 17 * 60}
	if c.In(at(2025, time.March, 11, 8, 59), brussels) || !c.In(at(2025, time.March, 11, 9, 0), brussels) || c.In(at(2025, time.March, 11, 17, 0), brussels) {
		t.Error("daytime window 09:00–17:00 wrong")
	}
	if got := c.End(at(2025, time.March, 11, 12, 0), brussels); !got.Equal(at(2025, time.March, 11, 17, 0)) {
		t.Errorf("End = %v", got)
	}
	none := NDPCalendar{WeekdayFrom: 8 * 60, WeekdayUntil: 8 * 60}
	if none.In(at(2025, time.March, 11, 8, 0), brussels) || none.In(at(2025, time.March, 15, 3, 0), brussels) {
		t.Error("equal bounds should mean no window")
	}
}

func ExampleNDPCalendar_End() {
	loc, _ := time.LoadLocation("Europe/Brussels")
	friday := time.Date(2025, time.March, 14, 16, 0, 0, 0, loc)
	fmt.Println(DefaultNDP().End(friday, loc).Format("Mon 2006-01-02 15:04"))
	// Output: Mon 2025-03-17 08:00
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	c := DefaultConfig()
	c.TimeZone = "Mars/Olympus"
	c.RechargeMin = 30000
	c.ReferencePrefix = "5414"
	c.NDP.WeekdayUntil = 24 * 60
	c.NDP.Seasons = []Season{{From: MustParseDate("2025-03-01"), Until: MustParseDate("2025-02-01")}}
	c.RetryMin = 0
	err := c.Validate()
	if err == nil {
		t.Fatal("broken config accepted")
	}
	for _, want := range []string{"time zone", "recharge bounds", "reference prefix", "weekday window", "season", "retry"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestEAN(t *testing.T) {
	// GS1's own GTIN-13 example, then an 18-digit key.
	if c, ok := CheckDigit("400638133393"); !ok || c != '1' {
		t.Errorf("CheckDigit(400638133393) = %c, want 1", c)
	}
	if c, ok := CheckDigit("54144123456789012"); !ok || c != '0' {
		t.Errorf("CheckDigit(54144123456789012) = %c, want 0", c)
	}
	if err := ValidateEAN("541441234567890120"); err != nil {
		t.Errorf("valid EAN refused: %v", err)
	}
	for _, bad := range []string{"541441234567890121", "54144123456789012", "5414412345678901200", "54144123456789012a"} {
		if ValidateEAN(bad) == nil {
			t.Errorf("ValidateEAN(%q) accepted", bad)
		}
	}
	if got := Reference("541441234567890120"); got != "1234567890120" {
		t.Errorf("Reference = %s", got)
	}
	if why := checkReference("1234567890120", "54144"); why != "" {
		t.Errorf("valid reference: %s", why)
	}
	if why := checkReference("1234567890121", "54144"); !strings.Contains(why, "check digit") {
		t.Errorf("wrong check digit: %q", why)
	}
	if why := checkReference("234567890120", "54144"); !strings.Contains(why, "not 13 digits") {
		t.Errorf("12 digits: %q", why)
	}
}

func TestNormalizeRegister(t *testing.T) {
	for in, want := range map[string]string{
		"1-0:1.8.1":     "1-0:1.8.1",
		"1-0:1.8.1.255": "1-0:1.8.1",
		"0-1:24.2.3":    "0-1:24.2.3",
		"1-0:1.8.0.101": "1-0:1.8.0.101",
	} {
		if got, err := NormalizeRegister(in); err != nil || got != want {
			t.Errorf("NormalizeRegister(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "1.8.1", "1-0:1.8", "1-0:1.8.256", "1-0:1.8.x", "1:0-1.8.1", "1-0:1.8.1.2.3"} {
		if _, err := NormalizeRegister(bad); err == nil {
			t.Errorf("NormalizeRegister(%q) accepted", bad)
		}
	}
	for _, tc := range []struct {
		reg  string
		e    Energy
		want registerRole
	}{
		{regDay, Electricity, roleImport},
		{regNight, Electricity, roleImport},
		{regExpDay, Electricity, roleExport},
		{"1-0:1.7.0", Electricity, roleOther},
		{regGas, Gas, roleImport},
		{regGas, Electricity, roleOther},
		{regDay, Gas, roleOther},
	} {
		if got := roleOf(tc.reg, tc.e); got != tc.want {
			t.Errorf("roleOf(%s, %s) = %s, want %s", tc.reg, tc.e, got, tc.want)
		}
	}
}

func TestContactMedia(t *testing.T) {
	for _, tc := range []struct {
		c    Contact
		want string
	}{
		{Contact{Preference: PreferSMS, Phone: "p", Email: "e"}, "[sms]"},
		{Contact{Preference: PreferEmail, Phone: "p", Email: "e"}, "[email]"},
		{Contact{Preference: PreferBoth, Phone: "p", Email: "e"}, "[sms email]"},
		{Contact{Preference: PreferEmail, Phone: "p"}, "[sms]"}, // no e-mail: SMS
		{Contact{Preference: PreferBoth, Phone: "p"}, "[sms]"},
		{Contact{Preference: PreferSMS, Email: "e"}, "[email]"},
	} {
		if got := fmt.Sprint(tc.c.media()); got != tc.want {
			t.Errorf("%+v: media %s, want %s", tc.c, got, tc.want)
		}
	}
}
