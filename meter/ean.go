package meter

import (
	"errors"
	"fmt"
)

// An EAN here is the GS1 Global Service Relation Number (GSRN) of an
// energy access point: 18 decimal digits, the first two 54 (GS1 Belgium
// and Luxembourg), the last a GS1 mod-10 check digit.
const (
	eanLen    = 18
	eanPrefix = "54"
)

// ErrEAN is wrapped by every error of ValidEAN and EANCheckDigit;
// ErrEANCheckDigit is wrapped as well when only the check digit is wrong.
var (
	ErrEAN           = errors.New("invalid EAN")
	ErrEANCheckDigit = errors.New("wrong check digit")
)

// ValidEAN checks that s is an 18-digit EAN that starts with 54 and ends
// with the right check digit. Its errors say which rule s breaks.
func ValidEAN(s string) error {
	if len(s) != eanLen {
		return fmt.Errorf("meter: %w %q: %d characters, want %d digits", ErrEAN, s, len(s), eanLen)
	}
	if i := nonDigit(s); i >= 0 {
		return fmt.Errorf("meter: %w %q: character %d (%q) is not a digit", ErrEAN, s, i+1, s[i])
	}
	if s[:2] != eanPrefix {
		return fmt.Errorf("meter: %w %q: starts with %s, want %s", ErrEAN, s, s[:2], eanPrefix)
	}
	c, _ := checkDigit(s[:eanLen-1])
	if s[eanLen-1] != c {
		return fmt.Errorf("meter: %w %q: %w %c, want %c", ErrEAN, s, ErrEANCheckDigit, s[eanLen-1], c)
	}
	return nil
}

// EANCheckDigit returns the check digit ('0' to '9') that completes the
// first 17 digits of an EAN.
func EANCheckDigit(first17 string) (byte, error) {
	if len(first17) != eanLen-1 {
		return 0, fmt.Errorf("meter: %w %q: %d characters, want the first %d digits", ErrEAN, first17, len(first17), eanLen-1)
	}
	if i := nonDigit(first17); i >= 0 {
		return 0, fmt.Errorf("meter: %w %q: character %d (%q) is not a digit", ErrEAN, first17, i+1, first17[i])
	}
	c, _ := checkDigit(first17)
	return c, nil
}

// checkDigit computes the GS1 mod-10 check digit of digits: from the
// right, the digits are weighted 3, 1, 3, 1 …; the check digit brings the
// sum to a multiple of 10.
func checkDigit(digits string) (byte, bool) {
	sum, w := 0, 3
	for i := len(digits) - 1; i >= 0; i-- {
		d := digits[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		sum += int(d-'0') * w
		w = 4 - w
	}
	return byte('0' + (10-sum%10)%10), true
}

func nonDigit(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return i
		}
	}
	return -1
}
