package meter_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/meter"
)

func TestData(t *testing.T) {
	ctx := context.Background()
	c, m, _ := dial(t, sapTechnician, technician())
	if s, err := c.ReadDataString(ctx, obEAN); err != nil || s != "541234567890123458" {
		t.Errorf("EAN %q, %v", s, err)
	}
	if n, err := c.ReadDataUint(ctx, obCounter); err != nil || n != 41234 {
		t.Errorf("counter %d, %v", n, err)
	}
	v, err := c.ReadData(ctx, obCounter)
	if err != nil || !v.Equal(axdr.Uint32(41234)) {
		t.Errorf("counter %v, %v", v, err)
	}

	at := time.Date(2026, 11, 26, 23, 0, 0, 0, time.UTC)
	if err := c.WriteData(ctx, obDevice, axdr.OctetString([]byte("renamed"))); err != nil {
		t.Fatal(err)
	}
	if s, err := c.ReadDataString(ctx, obDevice); err != nil || s != "renamed" {
		t.Errorf("after write %q, %v", s, err)
	}
	m.values[attrKey{obDevice, 2}] = axdr.DateTimeData(axdr.DateTimeOf(at))
	if dt, err := c.ReadDataDateTime(ctx, obDevice); err != nil || dt.String() != "2026-11-26T23:00:00.00+00:00" {
		t.Errorf("date-time %v, %v", dt, err)
	}
	m.values[attrKey{obDevice, 2}] = axdr.OctetString([]byte{0xFF, 0xFE})
	if _, err := c.ReadDataString(ctx, obDevice); !errors.Is(err, meter.ErrValue) {
		t.Errorf("not UTF-8: %v", err)
	}
	m.values[attrKey{obCounter, 2}] = axdr.Int8(-1)
	if _, err := c.ReadDataUint(ctx, obCounter); !errors.Is(err, meter.ErrValue) {
		t.Errorf("negative: %v", err)
	}
}
