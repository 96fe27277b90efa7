package meter_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/apdu"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/meter"
)

func TestLimiter(t *testing.T) {
	ctx := context.Background()
	c, m, _ := dial(t, sapManagement, management())
	s, err := c.ReadLimiter(ctx, obLimiter)
	if err != nil {
		t.Fatal(err)
	}
	want := meter.LimiterState{
		Monitored:       apdu.CaptureObject{ClassID: dlms.ClassRegister, Instance: obPower, Attribute: 2},
		ThresholdActive: 99999, ThresholdNormal: 99999, ThresholdEmergency: 1000,
		MinOverThreshold: time.Minute, MinUnderThreshold: 30 * time.Second,
	}
	if s != want {
		t.Errorf("%+v\nwant %+v", s, want)
	}

	if err := c.SetLimiterThreshold(ctx, obLimiter, 3000); err != nil {
		t.Fatal(err)
	}
	if err := c.SetLimiterEmergencyThreshold(ctx, obLimiter, 500); err != nil {
		t.Fatal(err)
	}
	if !m.value(obLimiter, 4).Equal(axdr.Uint32(3000)) || !m.value(obLimiter, 5).Equal(axdr.Uint32(500)) {
		t.Errorf("thresholds %v, %v", m.value(obLimiter, 4), m.value(obLimiter, 5))
	}

	// The value is written in the meter's type, or not at all.
	sets := len(m.sets)
	if err := c.SetLimiterThreshold(ctx, obLimiter, -1); !errors.Is(err, meter.ErrOverflow) {
		t.Errorf("negative threshold: %v", err)
	}
	m.values[attrKey{obLimiter, 4}] = axdr.Uint16(0)
	if err := c.SetLimiterThreshold(ctx, obLimiter, 70000); !errors.Is(err, meter.ErrOverflow) {
		t.Errorf("threshold beyond long-unsigned: %v", err)
	}
	m.values[attrKey{obLimiter, 4}] = axdr.Float32(0)
	if err := c.SetLimiterThreshold(ctx, obLimiter, 1); !errors.Is(err, meter.ErrValue) {
		t.Errorf("float threshold: %v", err)
	}
	if len(m.sets) != sets {
		t.Error("a refused threshold reached the meter")
	}
	m.values[attrKey{obLimiter, 4}] = axdr.Int16(0)
	if err := c.SetLimiterThreshold(ctx, obLimiter, -20); err != nil || !m.value(obLimiter, 4).Equal(axdr.Int16(-20)) {
		t.Errorf("signed threshold: %v, %v", err, m.value(obLimiter, 4))
	}

	m.values[attrKey{obLimiter, 2}] = axdr.Structure(axdr.Uint16(3), axdr.OctetString(obPower[:]))
	if _, err := c.ReadLimiter(ctx, obLimiter); !errors.Is(err, meter.ErrValue) {
		t.Errorf("short monitored value: %v", err)
	}
}
