package meter_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/meter"
)

func TestReadClock(t *testing.T) {
	c, _, _ := dial(t, sapTechnician, technician())
	s, err := c.ReadClock(context.Background(), obClock)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 27, 2, 36, 4, 0, time.UTC); !s.At.Equal(want) {
		t.Errorf("time %v, want %v", s.At, want)
	}
	if s.Time.String() != "2026-11-27T03:36:04.00+01:00" || s.TimeZone != -60 || s.Status != 0 {
		t.Errorf("time %v, zone %d, status %v", s.Time, s.TimeZone, s.Status)
	}
	if s.DSTBegin.Month != 3 || s.DSTBegin.Day != axdr.DayLast || s.DSTEnd.Month != 10 || s.DSTDeviation != 60 || !s.DSTEnabled {
		t.Errorf("DST %v to %v, %d min, enabled %v", s.DSTBegin, s.DSTEnd, s.DSTDeviation, s.DSTEnabled)
	}
}

func TestReadTime(t *testing.T) {
	ctx := context.Background()
	c, m, _ := dial(t, sapPublic, meter.Config{Location: time.UTC})
	dt, at, err := c.ReadTime(ctx, obClock)
	if err != nil || !at.Equal(time.Date(2026, 11, 27, 2, 36, 4, 0, time.UTC)) || dt.Deviation != -60 {
		t.Fatalf("%v %v, %v", dt, at, err)
	}

	// Without deviation, the time is read in the configured zone.
	dt.Deviation, dt.Status = axdr.DeviationNotSpecified, axdr.StatusNotSpecified
	m.values[attrKey{obClock, 2}] = axdr.DateTimeData(dt)
	if _, at, err = c.ReadTime(ctx, obClock); err != nil || !at.Equal(time.Date(2026, 11, 27, 3, 36, 4, 0, time.UTC)) {
		t.Errorf("without deviation: %v, %v", at, err)
	}

	// A time that is not specified is not a point in time.
	dt.Hour = axdr.NotSpecified
	m.values[attrKey{obClock, 2}] = axdr.DateTimeData(dt)
	if _, _, err = c.ReadTime(ctx, obClock); !errors.Is(err, meter.ErrValue) {
		t.Errorf("hour not specified: %v", err)
	}
	m.values[attrKey{obClock, 2}] = axdr.OctetString(make([]byte, 5))
	if _, _, err = c.ReadTime(ctx, obClock); !errors.Is(err, meter.ErrValue) {
		t.Errorf("5 bytes: %v", err)
	}
}

func TestSetTime(t *testing.T) {
	ctx := context.Background()
	c, m, _ := dial(t, sapTechnician, technician())
	summer := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	if err := c.SetTime(ctx, obClock, summer); err != nil {
		t.Fatal(err)
	}
	dt, err := m.value(obClock, 2).DateTime()
	if err != nil {
		t.Fatal(err)
	}
	// Brussels summer time: 12:00 local, deviation -120, DST bit.
	if dt.String() != "2026-07-01T12:00:00.00+02:00 [dst]" {
		t.Errorf("wrote %v", dt)
	}
	_, at, err := c.ReadTime(ctx, obClock)
	if err != nil || !at.Equal(summer) {
		t.Errorf("read back %v, %v", at, err)
	}
}

func TestDrift(t *testing.T) {
	c, _, _ := dial(t, sapPublic, meter.Config{})
	meterTime := time.Date(2026, 11, 27, 2, 36, 4, 0, time.UTC)
	// The host reads 10 s later than the meter, the read taking 2 s.
	calls := 0
	now := func() time.Time {
		calls++
		return meterTime.Add(9*time.Second + time.Duration(calls-1)*2*time.Second)
	}
	d, err := c.Drift(context.Background(), obClock, now)
	if err != nil || d != -10*time.Second || calls != 2 {
		t.Errorf("drift %v, %v after %d calls of now; want -10s", d, err, calls)
	}
}
