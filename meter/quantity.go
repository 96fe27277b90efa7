package meter

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"

	"github.com/openhes/hes/dlms/axdr"
)

// Errors of the conversions of a Quantity.
var (
	// ErrOverflow means that a value does not fit in the integer asked for.
	ErrOverflow = errors.New("value out of range")
	// ErrInexact means that a conversion would drop digits that are not 0.
	ErrInexact = errors.New("conversion loses digits")
)

// Quantity is an exact physical quantity, Value × 10^Scaler Unit: the
// value of a register with its scaler_unit applied, without the rounding
// of a float. 123456 with scaler -3 in m3 is 123.456 m³; 123 with scaler
// 3 in Wh is 123 kWh.
type Quantity struct {
	Value  int64 `json:"value"`
	Scaler int8  `json:"scaler"`
	Unit   Unit  `json:"unit"`
}

// String formats q exactly in its unit: "123.456 m3", "123000 Wh",
// "-0.05 currency". A count (UnitCount) has no unit: "42".
func (q Quantity) String() string {
	if q.Unit == UnitCount {
		return q.Decimal()
	}
	return q.Decimal() + " " + q.Unit.String()
}

// Decimal formats the number Value × 10^Scaler exactly, with as many
// decimals as the scaler gives: 123456 with scaler -3 is "123.456", 5 with
// scaler -2 is "0.05", 12 with scaler 2 is "1200".
func (q Quantity) Decimal() string {
	neg := q.Value < 0
	mag := uint64(q.Value)
	if neg {
		mag = -mag // two's complement: also right for math.MinInt64
	}
	digits := strconv.FormatUint(mag, 10)
	switch {
	case q.Scaler > 0 && mag != 0:
		b := make([]byte, 0, len(digits)+int(q.Scaler)+1)
		b = append(b, digits...)
		for range q.Scaler {
			b = append(b, '0')
		}
		digits = string(b)
	case q.Scaler < 0:
		n := -int(q.Scaler)
		if len(digits) <= n {
			digits = zeros(n-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-n] + "." + digits[len(digits)-n:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

func zeros(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0'
	}
	return string(b)
}

// Int returns q as an integer number of 10^scaler units: Int(0) of
// 123 kWh (123, scaler 3, Wh) is 123000 Wh, Int(3) of 123456 Wh is 123 kWh
// with ErrInexact. The error wraps ErrOverflow when the result does not
// fit in an int64 (the result is then 0), and ErrInexact when digits that
// are not 0 are dropped: the result is then truncated toward zero, for a
// caller that accepts it.
func (q Quantity) Int(scaler int8) (int64, error) {
	d := int(q.Scaler) - int(scaler)
	switch {
	case q.Value == 0 || d == 0:
		return q.Value, nil
	case d > 0:
		if d > 19 {
			return 0, q.convError(scaler, ErrOverflow)
		}
		neg := q.Value < 0
		mag := uint64(q.Value)
		if neg {
			mag = -mag
		}
		hi, lo := bits.Mul64(mag, pow10(d))
		limit := uint64(math.MaxInt64)
		if neg {
			limit++
		}
		if hi != 0 || lo > limit {
			return 0, q.convError(scaler, ErrOverflow)
		}
		if neg {
			return int64(-lo), nil
		}
		return int64(lo), nil
	}
	if -d >= 19 {
		// |Value| < 10^19: nothing is left but dropped digits.
		return 0, q.convError(scaler, ErrInexact)
	}
	p := int64(pow10(-d))
	v := q.Value / p
	if q.Value%p != 0 {
		return v, q.convError(scaler, ErrInexact)
	}
	return v, nil
}

func (q Quantity) convError(scaler int8, err error) error {
	return fmt.Errorf("meter: %v in units of 10^%d %v: %w", q, scaler, q.Unit, err)
}

// pow10 returns 10^n for n from 0 to 19.
func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

// quantityOf returns the register value v with su applied. v must be an
// integer: a float is refused, since the head-end bills exact values.
func quantityOf(v axdr.Data, su ScalerUnit) (Quantity, error) {
	if _, ok := v.Float(); ok {
		return Quantity{}, fmt.Errorf("%w: %v is not exact, want an integer", ErrValue, v.Tag)
	}
	n, err := asInt(v)
	if err != nil {
		return Quantity{}, err
	}
	return Quantity{Value: n, Scaler: su.Scaler, Unit: su.Unit}, nil
}
