package sim

import (
	"fmt"
	"time"
	_ "time/tzdata" // the meters' zone must load on any machine
)

// Brussels is the meters' time zone, Europe/Brussels (CET, CEST in summer).
var Brussels = mustLoad("Europe/Brussels")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// TimeBands says when the night (off-peak) register counts, in local time.
// On weekdays the night runs from NightStart to NightEnd (across midnight
// when NightStart is after NightEnd); with WeekendNight, Saturday and Sunday
// are night all day. Both bounds are offsets from local midnight in whole
// quarter-hours, so that a quarter-hour interval is always in one band.
//
// The default (DefaultBands) is the usual Walloon bi-hourly split: night from
// 22:00 to 07:00 on weekdays and the whole weekend, so from Friday 22:00 to
// Monday 07:00. Distribution areas that use other hours set their own.
type TimeBands struct {
	NightStart   time.Duration
	NightEnd     time.Duration
	WeekendNight bool
}

// DefaultBands returns night 22:00–07:00 on weekdays and the whole weekend.
func DefaultBands() TimeBands {
	return TimeBands{NightStart: 22 * time.Hour, NightEnd: 7 * time.Hour, WeekendNight: true}
}

// Validate checks that both bounds lie within the day on quarter-hours.
func (b TimeBands) Validate() error {
	for _, d := range []time.Duration{b.NightStart, b.NightEnd} {
		if d < 0 || d >= 24*time.Hour || d%(15*time.Minute) != 0 {
			return fmt.Errorf("time band bound %v: want a quarter-hour in [0, 24h)", d)
		}
	}
	return nil
}

// nightAt reports whether the wall-clock time of day tod (from local
// midnight) on a day of weekday wd is in the night band.
func (b TimeBands) nightAt(wd time.Weekday, tod time.Duration) bool {
	if b.WeekendNight && (wd == time.Saturday || wd == time.Sunday) {
		return true
	}
	if b.NightStart > b.NightEnd {
		return tod >= b.NightStart || tod < b.NightEnd
	}
	return tod >= b.NightStart && tod < b.NightEnd
}

// Night reports whether the local time t is in the night band.
func (b TimeBands) Night(t time.Time) bool {
	h, m, s := t.Clock()
	return b.nightAt(t.Weekday(), time.Duration(h)*time.Hour+time.Duration(m)*time.Minute+time.Duration(s)*time.Second)
}

// Tariff returns the tariff indicator of the band at t: 1 day, 2 night.
func (b TimeBands) Tariff(t time.Time) int {
	if b.Night(t) {
		return 2
	}
	return 1
}
