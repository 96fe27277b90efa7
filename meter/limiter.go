package meter

import (
	"context"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
)

// LimiterState is what a Limiter (class 71) watches and the thresholds it
// applies. The thresholds are in the unit and scaler of the monitored
// value (W for the default profile's active power).
type LimiterState struct {
	Monitored          apdu.CaptureObject // monitored_value (attribute 2)
	ThresholdActive    int64              // threshold_active (attribute 3): the one in force
	ThresholdNormal    int64              // threshold_normal (attribute 4)
	ThresholdEmergency int64              // threshold_emergency (attribute 5)
	MinOverThreshold   time.Duration      // min_over_threshold_duration (attribute 6)
	MinUnderThreshold  time.Duration      // min_under_threshold_duration (attribute 7)
	EmergencyActive    bool               // emergency_profile_active (attribute 10)
}

// ReadLimiter reads attributes 2 to 7 and 10 of a Limiter, in one request
// when the association has the with-list services.
func (c *Client) ReadLimiter(ctx context.Context, obis dlms.OBIS) (LimiterState, error) {
	const class = dlms.ClassLimiter
	attrs := []int8{2, 3, 4, 5, 6, 7, 10}
	values, err := c.getAttrs(ctx, class, obis, attrs...)
	if err != nil {
		return LimiterState{}, err
	}
	var s LimiterState
	if s.Monitored, err = asCaptureObject(values[0]); err != nil {
		return LimiterState{}, badValue(class, obis, 2, err)
	}
	for i, dst := range []*int64{&s.ThresholdActive, &s.ThresholdNormal, &s.ThresholdEmergency} {
		if *dst, err = asInt(values[1+i]); err != nil {
			return LimiterState{}, badValue(class, obis, attrs[1+i], err)
		}
	}
	for i, dst := range []*time.Duration{&s.MinOverThreshold, &s.MinUnderThreshold} {
		if *dst, err = asSeconds(values[4+i]); err != nil {
			return LimiterState{}, badValue(class, obis, attrs[4+i], err)
		}
	}
	if s.EmergencyActive, err = asBool(values[6]); err != nil {
		return LimiterState{}, badValue(class, obis, 10, err)
	}
	return s, nil
}

// SetLimiterThreshold writes threshold_normal (attribute 4), in the type
// that the meter uses for it (read first): the limit in force outside an
// emergency. A value that does not fit the type fails with ErrOverflow.
func (c *Client) SetLimiterThreshold(ctx context.Context, obis dlms.OBIS, v int64) error {
	return c.setIntegerLike(ctx, dlms.ClassLimiter, obis, 4, v)
}

// SetLimiterEmergencyThreshold writes threshold_emergency (attribute 5)
// in the type that the meter uses for it.
func (c *Client) SetLimiterEmergencyThreshold(ctx context.Context, obis dlms.OBIS, v int64) error {
	return c.setIntegerLike(ctx, dlms.ClassLimiter, obis, 5, v)
}

// setIntegerLike writes the integer v to an attribute in the integer
// type of its current value.
func (c *Client) setIntegerLike(ctx context.Context, class dlms.ClassID, obis dlms.OBIS, attr int8, v int64) error {
	cur, err := c.Get(ctx, class, obis, attr)
	if err != nil {
		return err
	}
	d, err := integerLike(cur.Tag, v)
	if err != nil {
		return &OpError{Op: "set", Class: class, OBIS: obis, Member: attr, Err: err}
	}
	return c.Set(ctx, class, obis, attr, d)
}
