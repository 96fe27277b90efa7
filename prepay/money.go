package prepay

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Cents is an amount of money in euro cents. Every amount that the ledger
// books, every balance and every bound in Config is a Cents: money is never
// a floating-point number anywhere in the package.
type Cents int64

// ErrBadAmount is wrapped by every error of ParseCents.
var ErrBadAmount = errors.New("malformed amount")

// ParseCents reads an amount written in euros with a decimal point and at
// most two decimals: "10.00", "12.4", "7", "-3.50", "+1.00". Anything else
// (a comma, a third decimal, spaces, thousands separators, an empty string,
// an amount that does not fit) is refused with an error wrapping
// ErrBadAmount that says what was wrong.
func ParseCents(s string) (Cents, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty", ErrBadAmount)
	}
	body := s
	neg := false
	switch body[0] {
	case '-':
		neg = true
		body = body[1:]
	case '+':
		body = body[1:]
	}
	whole, frac, dot := body, "", false
	for i := 0; i < len(body); i++ {
		if body[i] == '.' {
			whole, frac, dot = body[:i], body[i+1:], true
			break
		}
	}
	if whole == "" {
		return 0, fmt.Errorf("%w %q: no digit before the decimal point", ErrBadAmount, s)
	}
	if dot && frac == "" {
		return 0, fmt.Errorf("%w %q: no digit after the decimal point", ErrBadAmount, s)
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if c := part[i]; c < '0' || c > '9' {
				if c == ',' {
					return 0, fmt.Errorf("%w %q: use '.' as the decimal point, without thousands separators", ErrBadAmount, s)
				}
				return 0, fmt.Errorf("%w %q: unexpected character %q", ErrBadAmount, s, c)
			}
		}
	}
	if len(frac) > 2 {
		return 0, fmt.Errorf("%w %q: more than two decimals", ErrBadAmount, s)
	}
	euros, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || euros > (math.MaxInt64-99)/100 {
		return 0, fmt.Errorf("%w %q: too large", ErrBadAmount, s)
	}
	cents := euros * 100
	switch len(frac) {
	case 1:
		cents += int64(frac[0]-'0') * 10
	case 2:
		cents += int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	}
	if neg {
		cents = -cents
	}
	return Cents(cents), nil
}

// MustParseCents is ParseCents for amounts known to be valid, such as
// constants in configuration defaults and tests; it panics on an error.
func MustParseCents(s string) Cents {
	c, err := ParseCents(s)
	if err != nil {
		panic(err)
	}
	return c
}

// String formats c in euros with two decimals and a leading "-" when
// negative: "17.20", "-1.50", "0.05".
func (c Cents) String() string {
	return string(c.AppendText(nil))
}

// AppendText appends the String form of c to dst.
func (c Cents) AppendText(dst []byte) []byte {
	u := uint64(c)
	if c < 0 {
		dst = append(dst, '-')
		u = uint64(-c) // for math.MinInt64 the conversion wraps to its magnitude
	}
	dst = strconv.AppendUint(dst, u/100, 10)
	r := u % 100
	return append(dst, '.', byte('0'+r/10), byte('0'+r%10))
}

// MarshalText implements encoding.TextMarshaler with the String form, so an
// amount appears as "17.20" in JSON.
func (c Cents) MarshalText() ([]byte, error) {
	return c.AppendText(nil), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseCents.
func (c *Cents) UnmarshalText(b []byte) error {
	v, err := ParseCents(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// exactPerCent is a cent in the unit of exact charges, 10⁻¹³ euro (a
// ten-thousandth of a nano-euro). Electricity charges are whole nano-euros
// (Wh × µ€/kWh = n€); the gas conversion factor, given with four decimals,
// needs the four extra digits.
const exactPerCent = 100_000_000_000
