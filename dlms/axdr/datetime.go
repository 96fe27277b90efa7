package axdr

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Values that mean "not specified" or carry a special meaning.
const (
	NotSpecified          = 0xFF   // any one-byte field of a date or time
	YearNotSpecified      = 0xFFFF // Date.Year
	DeviationNotSpecified = -0x8000

	MonthDSTEnd   = 0xFD // Date.Month: the month daylight saving ends
	MonthDSTBegin = 0xFE // Date.Month: the month daylight saving begins

	DaySecondLast = 0xFD // Date.Day: the second last day of the month
	DayLast       = 0xFE // Date.Day: the last day of the month
)

// Sizes of the encodings.
const (
	DateTimeSize = 12
	DateSize     = 5
	TimeSize     = 4
)

// ErrDateTime is wrapped by the errors of the date and time functions: a
// wrong size, a field out of range, or a field not specified where a value
// is needed.
var ErrDateTime = errors.New("bad COSEM date-time")

// ErrType is wrapped when a Data value does not hold the type asked for.
var ErrType = errors.New("wrong data type")

// Date is a COSEM date.
type Date struct {
	Year    uint16 // YearNotSpecified, or the year
	Month   uint8  // 1..12, MonthDSTEnd, MonthDSTBegin or NotSpecified
	Day     uint8  // 1..31, DaySecondLast, DayLast or NotSpecified
	Weekday uint8  // 1 (Monday) .. 7 (Sunday), or NotSpecified
}

// Time is a COSEM time of day. Each field may be NotSpecified.
type Time struct {
	Hour       uint8 // 0..23
	Minute     uint8 // 0..59
	Second     uint8 // 0..59
	Hundredths uint8 // 0..99
}

// ClockStatus is the clock status byte of a date-time (and the status
// attribute of the Clock interface class).
type ClockStatus uint8

// The clock status bits. The value 0xFF means not specified.
const (
	StatusInvalid        ClockStatus = 0x01 // invalid value
	StatusDoubtful       ClockStatus = 0x02 // doubtful value
	StatusDifferentBase  ClockStatus = 0x04 // different clock base
	StatusInvalidClock   ClockStatus = 0x08 // invalid clock status
	StatusDaylightSaving ClockStatus = 0x80 // daylight saving active
	StatusNotSpecified   ClockStatus = 0xFF
)

const statusKnownBits = StatusInvalid | StatusDoubtful | StatusDifferentBase | StatusInvalidClock | StatusDaylightSaving

// String lists the bits set, e.g. "invalid,dst", "ok" for none, or
// "not-specified".
func (s ClockStatus) String() string {
	if s == StatusNotSpecified {
		return "not-specified"
	}
	if s == 0 {
		return "ok"
	}
	var b []byte
	add := func(bit ClockStatus, name string) {
		if s&bit != 0 {
			if len(b) > 0 {
				b = append(b, ',')
			}
			b = append(b, name...)
		}
	}
	add(StatusInvalid, "invalid")
	add(StatusDoubtful, "doubtful")
	add(StatusDifferentBase, "different-base")
	add(StatusInvalidClock, "invalid-status")
	add(StatusDaylightSaving, "dst")
	if r := s &^ statusKnownBits; r != 0 {
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = append(b, "0x"...)
		b = strconv.AppendUint(b, uint64(r), 16)
	}
	return string(b)
}

// DateTime is a COSEM date-time (IEC 62056-6-2, Blue Book 4.1.6.1): 12
// bytes that give the year (2 bytes), month, day of month, day of week,
// hour, minute, second, hundredths, deviation (2 bytes) and clock status.
// Every field may be "not specified". The fields keep the bytes as they
// came, so that a value re-encodes unchanged and tells per field what is
// missing.
//
// Deviation is the Blue Book's "deviation of local time to UTC" in minutes:
// UTC = local time + Deviation. In Brussels it is -60 in winter and -120 in
// summer (with StatusDaylightSaving set); IDIS and DSMR meters follow this.
// Some national companion specifications use the opposite sign (local = UTC
// + deviation); for such a meter negate Deviation before AsTime and after
// DateTimeOf.
type DateTime struct {
	Date
	Time
	Deviation int16 // minutes, UTC = local + Deviation; DeviationNotSpecified
	Status    ClockStatus
}

// ParseDate reads a 5-byte COSEM date. Fields out of range are kept as they
// are (Validate reports them).
func ParseDate(b []byte) (Date, error) {
	if len(b) != DateSize {
		return Date{}, fmt.Errorf("%w: date of %d bytes, want %d", ErrDateTime, len(b), DateSize)
	}
	return Date{Year: be16(b), Month: b[2], Day: b[3], Weekday: b[4]}, nil
}

// ParseTime reads a 4-byte COSEM time.
func ParseTime(b []byte) (Time, error) {
	if len(b) != TimeSize {
		return Time{}, fmt.Errorf("%w: time of %d bytes, want %d", ErrDateTime, len(b), TimeSize)
	}
	return Time{Hour: b[0], Minute: b[1], Second: b[2], Hundredths: b[3]}, nil
}

// ParseDateTime reads a 12-byte COSEM date-time. Fields out of range are
// kept as they are (Validate reports them): meters send them, and a value
// must still re-encode to the bytes it came from.
func ParseDateTime(b []byte) (DateTime, error) {
	if len(b) != DateTimeSize {
		return DateTime{}, fmt.Errorf("%w: date-time of %d bytes, want %d", ErrDateTime, len(b), DateTimeSize)
	}
	d, _ := ParseDate(b[:5])
	t, _ := ParseTime(b[5:9])
	return DateTime{Date: d, Time: t, Deviation: int16(be16(b[9:])), Status: ClockStatus(b[11])}, nil
}

// Append appends the 5 bytes of d.
func (d Date) Append(dst []byte) []byte {
	return append(dst, byte(d.Year>>8), byte(d.Year), d.Month, d.Day, d.Weekday)
}

// Append appends the 4 bytes of t.
func (t Time) Append(dst []byte) []byte {
	return append(dst, t.Hour, t.Minute, t.Second, t.Hundredths)
}

// Append appends the 12 bytes of dt.
func (dt DateTime) Append(dst []byte) []byte {
	dst = dt.Date.Append(dst)
	dst = dt.Time.Append(dst)
	return append(dst, byte(uint16(dt.Deviation)>>8), byte(dt.Deviation), byte(dt.Status))
}

// DeviationSpecified reports whether the deviation is given.
func (dt DateTime) DeviationSpecified() bool { return dt.Deviation != DeviationNotSpecified }

// fieldError describes one bad field.
func fieldError(what string, v int) error {
	return fmt.Errorf("%w: %s %d out of range", ErrDateTime, what, v)
}

// Validate reports the first field out of the ranges of the standard. A
// field that is not specified, or holds one of the special values, is valid.
func (d Date) Validate() error {
	switch {
	case d.Month != NotSpecified && d.Month != MonthDSTBegin && d.Month != MonthDSTEnd && (d.Month < 1 || d.Month > 12):
		return fieldError("month", int(d.Month))
	case d.Day != NotSpecified && d.Day != DayLast && d.Day != DaySecondLast && (d.Day < 1 || d.Day > 31):
		return fieldError("day of month", int(d.Day))
	case d.Weekday != NotSpecified && (d.Weekday < 1 || d.Weekday > 7):
		return fieldError("day of week", int(d.Weekday))
	}
	return nil
}

// Validate reports the first field out of range.
func (t Time) Validate() error {
	switch {
	case t.Hour != NotSpecified && t.Hour > 23:
		return fieldError("hour", int(t.Hour))
	case t.Minute != NotSpecified && t.Minute > 59:
		return fieldError("minute", int(t.Minute))
	case t.Second != NotSpecified && t.Second > 59:
		return fieldError("second", int(t.Second))
	case t.Hundredths != NotSpecified && t.Hundredths > 99:
		return fieldError("hundredths", int(t.Hundredths))
	}
	return nil
}

// Validate reports the first field out of range (deviation: -720..720).
func (dt DateTime) Validate() error {
	if err := dt.Date.Validate(); err != nil {
		return err
	}
	if err := dt.Time.Validate(); err != nil {
		return err
	}
	if dt.DeviationSpecified() && (dt.Deviation < -720 || dt.Deviation > 720) {
		return fieldError("deviation", int(dt.Deviation))
	}
	return nil
}

// notSpecified names the first field that a point in time needs and d does
// not give, or returns "".
func (d Date) notSpecified() string {
	switch {
	case d.Year == YearNotSpecified:
		return "year"
	case d.Month == NotSpecified:
		return "month"
	case d.Month == MonthDSTBegin || d.Month == MonthDSTEnd:
		return "month (daylight saving begin or end)"
	case d.Day == NotSpecified:
		return "day of month"
	case d.Day == DayLast || d.Day == DaySecondLast:
		return "day of month (last or second last)"
	}
	return ""
}

func (t Time) notSpecified() string {
	switch {
	case t.Hour == NotSpecified:
		return "hour"
	case t.Minute == NotSpecified:
		return "minute"
	case t.Second == NotSpecified:
		return "second"
	}
	return ""
}

// AsTime returns the point in time dt names, in a fixed zone of offset
// -Deviation minutes. It fails when the date or time is incomplete (year,
// month, day, hour, minute or second not specified, or a special value),
// when the deviation is not specified (use AsTimeIn then), or when a field
// is out of range. Hundredths not specified count as zero; the day of week
// and the clock status are not checked.
func (dt DateTime) AsTime() (time.Time, error) {
	if !dt.DeviationSpecified() {
		return time.Time{}, fmt.Errorf("%w: deviation not specified", ErrDateTime)
	}
	return dt.in(nil)
}

// AsTimeIn returns the point in time dt names. When the deviation is
// specified it is used, as in AsTime; otherwise the fields are read as
// wall-clock time in loc (UTC when loc is nil).
func (dt DateTime) AsTimeIn(loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	return dt.in(loc)
}

func (dt DateTime) in(loc *time.Location) (time.Time, error) {
	if err := dt.Validate(); err != nil {
		return time.Time{}, err
	}
	if f := dt.Date.notSpecified(); f != "" {
		return time.Time{}, fmt.Errorf("%w: %s not specified", ErrDateTime, f)
	}
	if f := dt.Time.notSpecified(); f != "" {
		return time.Time{}, fmt.Errorf("%w: %s not specified", ErrDateTime, f)
	}
	if dt.DeviationSpecified() {
		loc = zone(-int(dt.Deviation) * 60)
	}
	ns := 0
	if dt.Hundredths != NotSpecified {
		ns = int(dt.Hundredths) * 10_000_000
	}
	t := time.Date(int(dt.Year), time.Month(dt.Month), int(dt.Day),
		int(dt.Hour), int(dt.Minute), int(dt.Second), ns, loc)
	if t.Day() != int(dt.Day) {
		return time.Time{}, fmt.Errorf("%w: %04d-%02d has no day %d", ErrDateTime, dt.Year, dt.Month, dt.Day)
	}
	return t, nil
}

// zone returns a fixed zone east of UTC by offset seconds.
func zone(offset int) *time.Location {
	if offset == 0 {
		return time.UTC
	}
	return time.FixedZone("", offset)
}

// isoWeekday maps time.Weekday to 1 (Monday) .. 7 (Sunday).
func isoWeekday(w time.Weekday) uint8 {
	if w == time.Sunday {
		return 7
	}
	return uint8(w)
}

// DateOf returns the date of t in t's location, day of week included.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: uint16(y), Month: uint8(m), Day: uint8(d), Weekday: isoWeekday(t.Weekday())}
}

// TimeOf returns the time of day of t in t's location, to the hundredth.
func TimeOf(t time.Time) Time {
	h, m, s := t.Clock()
	return Time{Hour: uint8(h), Minute: uint8(m), Second: uint8(s), Hundredths: uint8(t.Nanosecond() / 10_000_000)}
}

// DateTimeOf returns t as a COSEM date-time in t's location (use t.In(loc)
// for another): the wall-clock fields, the deviation from the zone's offset
// (UTC+1 gives -60) and the daylight-saving bit from whether the zone is on
// daylight-saving time then. The year must be within 0..65534 and the offset
// within ±12 hours to fit the standard.
func DateTimeOf(t time.Time) DateTime {
	_, offset := t.Zone()
	dt := DateTime{Date: DateOf(t), Time: TimeOf(t), Deviation: int16(-offset / 60)}
	if t.IsDST() {
		dt.Status |= StatusDaylightSaving
	}
	return dt
}

// appendField appends v as a decimal of width digits, or width '*' when v is
// the not-specified value.
func appendField(b []byte, v, notSpecified, width int) []byte {
	if v == notSpecified {
		for range width {
			b = append(b, '*')
		}
		return b
	}
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

var weekdayNames = [...]string{"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

func (d Date) appendText(b []byte) []byte {
	b = appendField(b, int(d.Year), YearNotSpecified, 4)
	b = append(b, '-')
	switch d.Month {
	case MonthDSTBegin:
		b = append(b, "dst-begin"...)
	case MonthDSTEnd:
		b = append(b, "dst-end"...)
	default:
		b = appendField(b, int(d.Month), NotSpecified, 2)
	}
	b = append(b, '-')
	switch d.Day {
	case DayLast:
		b = append(b, "last"...)
	case DaySecondLast:
		b = append(b, "second-last"...)
	default:
		b = appendField(b, int(d.Day), NotSpecified, 2)
	}
	return b
}

// appendWeekday appends " Mon" etc. when the day of week adds to the date:
// the date is incomplete, the day of week does not match it, or it is out
// of range.
func (d Date) appendWeekday(b []byte) []byte {
	if d.Weekday == NotSpecified {
		return b
	}
	if d.notSpecified() == "" && d.Validate() == nil && d.Weekday >= 1 && d.Weekday <= 7 {
		t := time.Date(int(d.Year), time.Month(d.Month), int(d.Day), 0, 0, 0, 0, time.UTC)
		if t.Day() == int(d.Day) && isoWeekday(t.Weekday()) == d.Weekday {
			return b
		}
	}
	b = append(b, ' ')
	if d.Weekday >= 1 && d.Weekday <= 7 {
		return append(b, weekdayNames[d.Weekday]...)
	}
	b = append(b, "weekday("...)
	b = strconv.AppendUint(b, uint64(d.Weekday), 10)
	return append(b, ')')
}

func (t Time) appendText(b []byte) []byte {
	b = appendField(b, int(t.Hour), NotSpecified, 2)
	b = append(b, ':')
	b = appendField(b, int(t.Minute), NotSpecified, 2)
	b = append(b, ':')
	b = appendField(b, int(t.Second), NotSpecified, 2)
	if t.Hundredths != NotSpecified {
		b = append(b, '.')
		b = appendField(b, int(t.Hundredths), NotSpecified, 2)
	}
	return b
}

// appendOffset appends the UTC offset that a deviation gives, "+01:00" for
// -60.
func appendOffset(b []byte, deviation int16) []byte {
	off := -int(deviation)
	if off < 0 {
		b = append(b, '-')
		off = -off
	} else {
		b = append(b, '+')
	}
	b = appendField(b, off/60, -1, 2)
	b = append(b, ':')
	return appendField(b, off%60, -1, 2)
}

// String formats d as "2026-11-27", with "*" for each digit of a field not
// specified ("****-**-01"), "dst-begin"/"dst-end" for the special months,
// "last"/"second-last" for the special days, and a day of week such as
// " Mon" when it tells more than the date does.
func (d Date) String() string { return string(d.appendWeekday(d.appendText(nil))) }

// String formats t as "02:36:04.00"; the hundredths are left out when not
// specified and any other field not specified shows as "**".
func (t Time) String() string { return string(t.appendText(nil)) }

// String formats dt in ISO 8601 form, "2026-11-27T02:36:04.00+01:00", with
// the rules of Date.String and Time.String for fields not specified. The UTC
// offset (the negated deviation) is left out when the deviation is not
// specified. A day of week that tells more than the date, and a clock status
// other than 0, follow after a space: "****-**-** Mon", "… [dst]".
func (dt DateTime) String() string {
	b := make([]byte, 0, 40)
	b = dt.Date.appendText(b)
	b = append(b, 'T')
	b = dt.Time.appendText(b)
	if dt.DeviationSpecified() {
		b = appendOffset(b, dt.Deviation)
	}
	b = dt.Date.appendWeekday(b)
	if dt.Status != 0 {
		b = append(b, " ["...)
		b = append(b, dt.Status.String()...)
		b = append(b, ']')
	}
	return string(b)
}

// MarshalText returns dt.String().
func (dt DateTime) MarshalText() ([]byte, error) { return []byte(dt.String()), nil }

// MarshalText returns d.String().
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// MarshalText returns t.String().
func (t Time) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// DateTimeData returns dt as an octet-string of 12 bytes: the form in which
// COSEM attributes (the Clock's time, profile capture times) carry a
// date-time. TaggedDateTime gives the date-time type (tag 25) instead.
func DateTimeData(dt DateTime) Data {
	return Data{Tag: TagOctetString, Bytes: dt.Append(make([]byte, 0, DateTimeSize))}
}

// DateData returns d as an octet-string of 5 bytes.
func DateData(d Date) Data {
	return Data{Tag: TagOctetString, Bytes: d.Append(make([]byte, 0, DateSize))}
}

// TimeData returns t as an octet-string of 4 bytes.
func TimeData(t Time) Data {
	return Data{Tag: TagOctetString, Bytes: t.Append(make([]byte, 0, TimeSize))}
}

// TaggedDateTime returns dt as the date-time type (tag 25).
func TaggedDateTime(dt DateTime) Data {
	return Data{Tag: TagDateTime, Bytes: dt.Append(make([]byte, 0, DateTimeSize))}
}

// TaggedDate returns d as the date type (tag 26).
func TaggedDate(d Date) Data {
	return Data{Tag: TagDate, Bytes: d.Append(make([]byte, 0, DateSize))}
}

// TaggedTime returns t as the time type (tag 27).
func TaggedTime(t Time) Data {
	return Data{Tag: TagTime, Bytes: t.Append(make([]byte, 0, TimeSize))}
}

// DateTime returns the date-time that d holds, as a date-time (tag 25) or
// as an octet-string of 12 bytes.
func (d Data) DateTime() (DateTime, error) {
	if d.Tag != TagDateTime && d.Tag != TagOctetString {
		return DateTime{}, fmt.Errorf("axdr: %s is not a date-time: %w", d.Tag, ErrType)
	}
	return ParseDateTime(d.Bytes)
}

// Date returns the date that d holds, as a date (tag 26) or as an
// octet-string of 5 bytes.
func (d Data) Date() (Date, error) {
	if d.Tag != TagDate && d.Tag != TagOctetString {
		return Date{}, fmt.Errorf("axdr: %s is not a date: %w", d.Tag, ErrType)
	}
	return ParseDate(d.Bytes)
}

// Time returns the time that d holds, as a time (tag 27) or as an
// octet-string of 4 bytes.
func (d Data) Time() (Time, error) {
	if d.Tag != TagTime && d.Tag != TagOctetString {
		return Time{}, fmt.Errorf("axdr: %s is not a time: %w", d.Tag, ErrType)
	}
	return ParseTime(d.Bytes)
}
