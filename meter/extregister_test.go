package meter_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/meter"
)

func TestReadExtendedRegister(t *testing.T) {
	c, m, _ := dial(t, sapManagement, management())
	r, err := c.ReadExtendedRegister(context.Background(), obGas)
	if err != nil {
		t.Fatal(err)
	}
	if r.Quantity.String() != "1234.567 m3" || r.Status != 0x10 {
		t.Errorf("gas volume %v status %#x", r.Quantity, r.Status)
	}
	if want := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC); !r.Captured.Equal(want) {
		t.Errorf("captured %v, want %v", r.Captured, want)
	}
	if r.CaptureTime.Deviation != -60 {
		t.Errorf("capture time %v", r.CaptureTime)
	}

	// A capture time without deviation is local time; one not specified
	// leaves Captured zero. The status may be a bit-string or null-data.
	tests := []struct {
		name     string
		status   axdr.Data
		capture  axdr.DateTime
		captured time.Time
		value    uint64
	}{
		{"no deviation", axdr.BitString([]byte{0xA0}, 4), axdr.DateTime{Date: axdr.Date{Year: 2026, Month: 7, Day: 1, Weekday: 0xFF},
			Time: axdr.Time{Hour: 12}, Deviation: axdr.DeviationNotSpecified, Status: 0xFF},
			time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC), 0xA},
		{"not specified", axdr.Null(), axdr.DateTime{Date: axdr.Date{Year: 0xFFFF, Month: 0xFF, Day: 0xFF, Weekday: 0xFF},
			Time: axdr.Time{Hour: 0xFF, Minute: 0xFF, Second: 0xFF, Hundredths: 0xFF}, Deviation: axdr.DeviationNotSpecified, Status: 0xFF},
			time.Time{}, 0},
	}
	for _, tt := range tests {
		m.values[attrKey{obGas, 4}] = tt.status
		m.values[attrKey{obGas, 5}] = axdr.DateTimeData(tt.capture)
		r, err := c.ReadExtendedRegister(context.Background(), obGas)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !r.Captured.Equal(tt.captured) || r.Status != tt.value {
			t.Errorf("%s: captured %v status %#x; want %v %#x", tt.name, r.Captured, r.Status, tt.captured, tt.value)
		}
	}

	m.values[attrKey{obGas, 5}] = axdr.Uint32(0)
	if _, err := c.ReadExtendedRegister(context.Background(), obGas); !errors.Is(err, meter.ErrValue) {
		t.Errorf("capture time of the wrong type: %v", err)
	}
	m.values[attrKey{obGas, 5}] = axdr.DateTimeData(tests[0].capture)
	m.values[attrKey{obGas, 4}] = axdr.Int8(-1)
	if _, err := c.ReadExtendedRegister(context.Background(), obGas); !errors.Is(err, meter.ErrValue) {
		t.Errorf("signed status: %v", err)
	}
}
