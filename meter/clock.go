package meter

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
)

// ClockState is what a Clock (class 8) says: its time and how it keeps
// local time.
type ClockState struct {
	Time axdr.DateTime // time (attribute 2), as the meter sent it
	// At is Time as a point in time (a date-time without deviation read in
	// the meter's time zone); zero when Time does not name one.
	At time.Time
	// TimeZone is time_zone (attribute 3): the deviation of local time
	// from UTC in minutes, with the meter's sign convention.
	TimeZone     int16
	Status       axdr.ClockStatus // status (attribute 4)
	DSTBegin     axdr.DateTime    // daylight_savings_begin (attribute 5)
	DSTEnd       axdr.DateTime    // daylight_savings_end (attribute 6)
	DSTDeviation int8             // daylight_savings_deviation in minutes (attribute 7)
	DSTEnabled   bool             // daylight_savings_enabled (attribute 8)
}

// ReadClock reads attributes 2 to 8 of a Clock, in one request when the
// association has the with-list services.
func (c *Client) ReadClock(ctx context.Context, obis dlms.OBIS) (ClockState, error) {
	const class = dlms.ClassClock
	values, err := c.getAttrs(ctx, class, obis, 2, 3, 4, 5, 6, 7, 8)
	if err != nil {
		return ClockState{}, err
	}
	var s ClockState
	steps := []func(axdr.Data) error{
		func(d axdr.Data) (err error) { s.Time, err = asDateTime(d); return err },
		func(d axdr.Data) error {
			v, err := asIntRange(d, math.MinInt16, math.MaxInt16)
			s.TimeZone = int16(v)
			return err
		},
		func(d axdr.Data) error {
			v, err := asUint(d, math.MaxUint8)
			s.Status = axdr.ClockStatus(v)
			return err
		},
		func(d axdr.Data) (err error) { s.DSTBegin, err = asDateTime(d); return err },
		func(d axdr.Data) (err error) { s.DSTEnd, err = asDateTime(d); return err },
		func(d axdr.Data) error {
			v, err := asIntRange(d, math.MinInt8, math.MaxInt8)
			s.DSTDeviation = int8(v)
			return err
		},
		func(d axdr.Data) (err error) { s.DSTEnabled, err = asBool(d); return err },
	}
	for i, step := range steps {
		if err := step(values[i]); err != nil {
			return ClockState{}, badValue(class, obis, int8(i+2), err)
		}
	}
	s.At, _ = timeOf(s.Time, c.loc)
	return s, nil
}

// ReadTime reads the time of a Clock (attribute 2), as the meter sent it
// and as a point in time. It fails with ErrValue when the meter's
// date-time does not name a point in time (fields not specified).
func (c *Client) ReadTime(ctx context.Context, obis dlms.OBIS) (axdr.DateTime, time.Time, error) {
	dt, err := getAs(ctx, c, dlms.ClassClock, obis, 2, asDateTime)
	if err != nil {
		return axdr.DateTime{}, time.Time{}, err
	}
	t, ok := timeOf(dt, c.loc)
	if !ok {
		return dt, time.Time{}, badValue(dlms.ClassClock, obis, 2, fmt.Errorf("%w: date-time %v does not name a time", ErrValue, dt))
	}
	return dt, t, nil
}

// SetTime sets the time of a Clock to t, written as the meter's local
// time (Config.Location) with its deviation and daylight-saving status.
func (c *Client) SetTime(ctx context.Context, obis dlms.OBIS, t time.Time) error {
	return c.Set(ctx, dlms.ClassClock, obis, 2, axdr.DateTimeData(axdr.DateTimeOf(t.In(c.loc))))
}

// Drift reads the time of a Clock and returns how far it is ahead of the
// host's clock now (behind when negative). now is called before and after
// the read, and the meter's time is compared with the middle of the two.
func (c *Client) Drift(ctx context.Context, obis dlms.OBIS, now func() time.Time) (time.Duration, error) {
	before := now()
	_, t, err := c.ReadTime(ctx, obis)
	if err != nil {
		return 0, err
	}
	after := now()
	return t.Sub(before.Add(after.Sub(before) / 2)), nil
}
