package prepay

import (
	"errors"
	"fmt"
	"time"
)

// NDPCalendar describes the non-disconnection periods (NDP): the times at
// which no supply is ever cut. All times are local times of the engine's
// time zone (Europe/Brussels by default), so daylight-saving changes move
// the periods with the wall clock.
type NDPCalendar struct {
	// WeekdayFrom and WeekdayUntil bound the daily window on weekdays: from
	// WeekdayFrom (included) until WeekdayUntil (excluded) the next morning
	// when WeekdayFrom is later than WeekdayUntil (16:00–08:00), within the
	// same day otherwise. Equal values mean no weekday window. On a
	// Saturday or Sunday the window applies too when Weekend is false.
	WeekdayFrom  ClockTime `json:"weekday_from"`
	WeekdayUntil ClockTime `json:"weekday_until"`
	// Weekend makes the whole of Saturday and Sunday a non-disconnection
	// period.
	Weekend bool `json:"weekend"`
	// ExtraDates are whole days (public holidays …) in a non-disconnection
	// period.
	ExtraDates []Date `json:"extra_dates,omitempty"`
	// Seasons are whole ranges of days in a non-disconnection period.
	Seasons []Season `json:"seasons,omitempty"`
}

// Season is a range of whole days, From and Until included.
type Season struct {
	From  Date `json:"from"`
	Until Date `json:"until"`
}

// DefaultNDP returns the documented rule for the legacy budget meter:
// weekdays 16:00 to 08:00 and the whole weekend, no extra dates (weekday
// public holidays are not covered), no seasons.
func DefaultNDP() NDPCalendar {
	return NDPCalendar{WeekdayFrom: 16 * 60, WeekdayUntil: 8 * 60, Weekend: true}
}

func (c NDPCalendar) validate() error {
	var errs []error
	if !c.WeekdayFrom.valid() || !c.WeekdayUntil.valid() {
		errs = append(errs, fmt.Errorf("NDP weekday window %s–%s: times must be 00:00 to 23:59", c.WeekdayFrom, c.WeekdayUntil))
	}
	for _, d := range c.ExtraDates {
		if d.IsZero() {
			errs = append(errs, fmt.Errorf("NDP extra dates: zero date"))
		}
	}
	for _, s := range c.Seasons {
		switch {
		case s.From.IsZero() || s.Until.IsZero() || s.Until.Before(s.From):
			errs = append(errs, fmt.Errorf("NDP season %s to %s: want two dates in order", s.From, s.Until))
		case s.From.DaysUntil(s.Until) >= 366:
			errs = append(errs, fmt.Errorf("NDP season %s to %s: longer than a year", s.From, s.Until))
		}
	}
	return errors.Join(errs...)
}

// wholeDay reports whether the whole local day d is in a period.
func (c NDPCalendar) wholeDay(d Date) bool {
	if c.Weekend {
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			return true
		}
	}
	for _, x := range c.ExtraDates {
		if x == d {
			return true
		}
	}
	for _, s := range c.Seasons {
		if !d.Before(s.From) && !d.After(s.Until) {
			return true
		}
	}
	return false
}

// inWindow reports whether a time of day, in seconds after midnight, is in
// the daily window.
func (c NDPCalendar) inWindow(sec int) bool {
	from, until := int(c.WeekdayFrom)*60, int(c.WeekdayUntil)*60
	switch {
	case from > until:
		return sec >= from || sec < until
	case from < until:
		return sec >= from && sec < until
	}
	return false
}

// In reports whether t is in a non-disconnection period, in the time zone
// loc.
func (c NDPCalendar) In(t time.Time, loc *time.Location) bool {
	lt := t.In(loc)
	if c.wholeDay(DateOf(lt, loc)) {
		return true
	}
	h, m, s := lt.Clock()
	return c.inWindow(h*3600 + m*60 + s)
}

// maxNDPDays bounds the search for the end of a period: a calendar whose
// periods never end would otherwise loop for ever.
const maxNDPDays = 800

// End returns the first instant at or after t that is not in a
// non-disconnection period: t itself when t is outside every period.
func (c NDPCalendar) End(t time.Time, loc *time.Location) time.Time {
	for range maxNDPDays * 3 {
		if !c.In(t, loc) {
			return t
		}
		lt := t.In(loc)
		d := DateOf(lt, loc)
		next := d.AddDays(1).Start(loc)
		if !c.wholeDay(d) {
			// In the daily window: it ends at WeekdayUntil today when that is
			// still ahead, otherwise at midnight (and maybe later).
			until := time.Date(d.Year, d.Month, d.Day, int(c.WeekdayUntil)/60, int(c.WeekdayUntil)%60, 0, 0, loc)
			if until.After(t) && until.Before(next) {
				next = until
			}
		}
		t = next
	}
	return t
}
