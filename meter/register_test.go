package meter_test

import (
	"context"
	"errors"
	"testing"

	"github.com/openhes/hes/dlms"
	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/meter"
)

func TestReadRegister(t *testing.T) {
	ctx := context.Background()
	c, m, _ := dial(t, sapTechnician, technician())
	tests := []struct {
		obis dlms.OBIS
		want string
	}{
		{obImport, "123456 Wh"},
		{obPower, "2300 W"},
		{obBalance, "-12.34 currency"},
	}
	for _, tt := range tests {
		q, err := c.ReadRegister(ctx, tt.obis)
		if err != nil || q.String() != tt.want {
			t.Errorf("%v: %v, %v; want %s", tt.obis, q, err, tt.want)
		}
	}

	// Exact scaling: 123456 with scaler -3 is 123.456 Wh, that is
	// 123456 mWh; with scaler 3 it is 123456 kWh, 123456000 Wh.
	m.values[attrKey{obImport, 3}] = axdr.Structure(axdr.Int8(-3), axdr.Enum(30))
	q, err := c.ReadRegister(ctx, obImport)
	if err != nil || q.String() != "123.456 Wh" {
		t.Fatalf("scaler -3: %v, %v", q, err)
	}
	if mwh, err := q.Int(-3); err != nil || mwh != 123456 {
		t.Errorf("in mWh: %d, %v", mwh, err)
	}
	m.values[attrKey{obImport, 3}] = axdr.Structure(axdr.Int8(3), axdr.Enum(30))
	if q, err = c.ReadRegister(ctx, obImport); err != nil || q.String() != "123456000 Wh" {
		t.Fatalf("scaler 3: %v, %v", q, err)
	}
	if wh, err := q.Int(0); err != nil || wh != 123456000 {
		t.Errorf("kWh to Wh: %d, %v", wh, err)
	}

	su, err := c.ReadScalerUnit(ctx, dlms.ClassRegister, obBalance)
	if err != nil || su != (meter.ScalerUnit{Scaler: -2, Unit: meter.UnitCurrency}) {
		t.Errorf("scaler_unit %v, %v", su, err)
	}
}

func TestReadRegisterBadValues(t *testing.T) {
	tests := []struct {
		name        string
		value, unit axdr.Data
		attr        string
		is          error
	}{
		{"float value", axdr.Float64(1.5), axdr.Structure(axdr.Int8(0), axdr.Enum(30)), "attr 2", meter.ErrValue},
		{"string value", axdr.VisibleString("12"), axdr.Structure(axdr.Int8(0), axdr.Enum(30)), "attr 2", meter.ErrValue},
		{"value above int64", axdr.Uint64(1 << 63), axdr.Structure(axdr.Int8(0), axdr.Enum(30)), "attr 2", meter.ErrOverflow},
		{"scaler_unit of one item", axdr.Uint32(1), axdr.Structure(axdr.Int8(0)), "attr 3", meter.ErrValue},
		{"scaler out of range", axdr.Uint32(1), axdr.Structure(axdr.Int16(300), axdr.Enum(30)), "attr 3", meter.ErrValue},
		{"unit not an integer", axdr.Uint32(1), axdr.Structure(axdr.Int8(0), axdr.Null()), "attr 3", meter.ErrValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, m, _ := dial(t, sapTechnician, technician())
			m.values[attrKey{obImport, 2}] = tt.value
			m.values[attrKey{obImport, 3}] = tt.unit
			_, err := c.ReadRegister(context.Background(), obImport)
			if !errors.Is(err, tt.is) || !errors.Is(err, meter.ErrValue) {
				t.Fatalf("error %v, want %v", err, tt.is)
			}
			if want := "get 1-0:1.8.0.255 " + tt.attr + ": "; len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
				t.Errorf("error %q, want it to start with %q", err, want)
			}
		})
	}
}

func TestWriteRegister(t *testing.T) {
	ctx := context.Background()
	c, m, _ := dial(t, sapTechnician, technician())
	// The balance screen holds cents (scaler -2) as a double-long.
	if err := c.WriteRegister(ctx, obBalance, meter.Quantity{Value: 2550, Scaler: -2, Unit: meter.UnitCurrency}); err != nil {
		t.Fatal(err)
	}
	if got := m.value(obBalance, 2); !got.Equal(axdr.Int32(2550)) {
		t.Errorf("wrote %v", got)
	}
	if err := c.WriteRegister(ctx, obBalance, meter.Quantity{Value: -3, Scaler: 0, Unit: meter.UnitCurrency}); err != nil {
		t.Fatal(err)
	}
	if got := m.value(obBalance, 2); !got.Equal(axdr.Int32(-300)) {
		t.Errorf("wrote %v, want -300 cents", got)
	}

	sets := len(m.sets)
	tests := []struct {
		name string
		q    meter.Quantity
		is   error
	}{
		{"other unit", meter.Quantity{Value: 1, Unit: meter.UnitWattHour}, meter.ErrValue},
		{"fraction of a cent", meter.Quantity{Value: 1, Scaler: -3, Unit: meter.UnitCurrency}, meter.ErrInexact},
		{"beyond double-long", meter.Quantity{Value: 1 << 31, Scaler: -2, Unit: meter.UnitCurrency}, meter.ErrOverflow},
	}
	for _, tt := range tests {
		err := c.WriteRegister(ctx, obBalance, tt.q)
		if !errors.Is(err, tt.is) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.is)
		}
		var op *meter.OpError
		if !errors.As(err, &op) || op.Op != "set" || op.OBIS != obBalance || op.Member != 2 {
			t.Errorf("%s: %v is not the set of attribute 2", tt.name, err)
		}
	}
	if len(m.sets) != sets {
		t.Errorf("a refused write reached the meter")
	}
}
