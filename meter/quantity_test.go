package meter_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/openhes/hes/meter"
)

func TestQuantityString(t *testing.T) {
	tests := []struct {
		q    meter.Quantity
		want string
	}{
		{meter.Quantity{Value: 123456, Scaler: -3, Unit: meter.UnitCubicMetre}, "123.456 m3"},
		{meter.Quantity{Value: 123456, Scaler: 0, Unit: meter.UnitWattHour}, "123456 Wh"},
		{meter.Quantity{Value: 123, Scaler: 3, Unit: meter.UnitWattHour}, "123000 Wh"},
		{meter.Quantity{Value: 5, Scaler: -2, Unit: meter.UnitCurrency}, "0.05 currency"},
		{meter.Quantity{Value: -1234, Scaler: -2, Unit: meter.UnitCurrency}, "-12.34 currency"},
		{meter.Quantity{Value: -5, Scaler: -3, Unit: meter.UnitWatt}, "-0.005 W"},
		{meter.Quantity{Value: 1000, Scaler: -3, Unit: meter.UnitCubicMetre}, "1.000 m3"},
		{meter.Quantity{Value: 0, Scaler: 3, Unit: meter.UnitWattHour}, "0 Wh"},
		{meter.Quantity{Value: 0, Scaler: -2, Unit: meter.UnitWattHour}, "0.00 Wh"},
		{meter.Quantity{Value: 42, Unit: meter.UnitCount}, "42"},
		{meter.Quantity{Value: math.MinInt64, Scaler: -1, Unit: meter.UnitWattHour}, "-922337203685477580.8 Wh"},
		{meter.Quantity{Value: math.MaxInt64, Scaler: -20, Unit: meter.UnitWattHour}, "0.09223372036854775807 Wh"},
		{meter.Quantity{Value: 7, Scaler: 2, Unit: 200}, "700 unit(200)"},
	}
	for _, tt := range tests {
		if got := tt.q.String(); got != tt.want {
			t.Errorf("%#v: %q, want %q", tt.q, got, tt.want)
		}
	}
}

func TestQuantityInt(t *testing.T) {
	wh := func(v int64, s int8) meter.Quantity {
		return meter.Quantity{Value: v, Scaler: s, Unit: meter.UnitWattHour}
	}
	tests := []struct {
		q      meter.Quantity
		scaler int8
		want   int64
		err    error
	}{
		{wh(123456, 0), 0, 123456, nil},
		{wh(123, 3), 0, 123000, nil},        // kWh to Wh
		{wh(123456, -3), -3, 123456, nil},   // same scaler
		{wh(123456000, -3), 0, 123456, nil}, // mWh to Wh, exact
		{wh(123456, -3), 0, 123, meter.ErrInexact},
		{wh(-123456, -3), 0, -123, meter.ErrInexact}, // truncated toward zero
		{wh(-5, 2), 0, -500, nil},
		{wh(0, 100), -100, 0, nil},
		{wh(1, 18), 0, 1e18, nil},
		{wh(10, 18), 0, 0, meter.ErrOverflow},
		{wh(1, 19), 0, 0, meter.ErrOverflow},
		{wh(1, 20), 0, 0, meter.ErrOverflow},
		{wh(math.MaxInt64, 0), 0, math.MaxInt64, nil},
		{wh(math.MaxInt64, 1), 0, 0, meter.ErrOverflow},
		{wh(math.MinInt64/10, 1), 0, math.MinInt64 / 10 * 10, nil},
		{wh(math.MinInt64, 0), -1, 0, meter.ErrOverflow},
		{wh(math.MinInt64, 0), 18, -9, meter.ErrInexact},
		{wh(math.MinInt64, 0), 19, 0, meter.ErrInexact},
		{wh(-9223372036854775, 3), 0, -9223372036854775000, nil},
		{wh(-9223372036854776, 3), 0, 0, meter.ErrOverflow},
		{wh(5, -120), 120, 0, meter.ErrInexact},
	}
	for _, tt := range tests {
		got, err := tt.q.Int(tt.scaler)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("%v Int(%d) = %d, %v; want %d, %v", tt.q, tt.scaler, got, err, tt.want, tt.err)
		}
	}
}

func FuzzQuantity(f *testing.F) {
	f.Add(int64(123456), int8(-3), int8(0))
	f.Add(int64(math.MinInt64), int8(0), int8(-1))
	f.Add(int64(-1), int8(18), int8(0))
	f.Fuzz(func(t *testing.T, v int64, s, to int8) {
		q := meter.Quantity{Value: v, Scaler: s, Unit: meter.UnitWattHour}
		_ = q.String()
		n, err := q.Int(to)
		if err == nil {
			// Exact: converting back gives the same value.
			back, err := (meter.Quantity{Value: n, Scaler: to, Unit: meter.UnitWattHour}).Int(s)
			if err != nil || back != v {
				t.Fatalf("%v Int(%d) = %d, back %d, %v", q, to, n, back, err)
			}
		}
	})
}

func ExampleQuantity() {
	// A gas volume of 1234567 dm³: the register's value with its
	// scaler_unit {-3, m3}.
	gas := meter.Quantity{Value: 1234567, Scaler: -3, Unit: meter.UnitCubicMetre}
	fmt.Println(gas)

	// An energy index in kWh (scaler 3), converted to Wh exactly.
	energy := meter.Quantity{Value: 123456, Scaler: 3, Unit: meter.UnitWattHour}
	wh, err := energy.Int(0)
	fmt.Println(wh, err)

	// Converting the volume to whole m³ drops digits: the result is
	// truncated and the error says so.
	m3, err := gas.Int(0)
	fmt.Println(m3, errors.Is(err, meter.ErrInexact))
	// Output:
	// 1234.567 m3
	// 123456000 <nil>
	// 1234 true
}
