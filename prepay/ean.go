package prepay

import "fmt"

// EAN (GSRN) codes of energy access points are 18 digits, the last one a
// GS1 mod-10 check digit. The 13-digit payment reference is the EAN without
// its first five digits (the operator's prefix).
const (
	eanLen = 18
	refLen = 13
)

// CheckDigit returns the GS1 mod-10 check digit of a string of decimal
// digits (the digits without their check digit): weights 3, 1, 3, 1 … from
// the right. It works for every GS1 key length (GTIN-13, GSRN-18 …). ok is
// false when digits is empty or holds a non-digit.
func CheckDigit(digits string) (c byte, ok bool) {
	if digits == "" {
		return 0, false
	}
	sum := 0
	w := 3
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

// ValidateEAN checks that s is an 18-digit EAN with a correct check digit.
func ValidateEAN(s string) error {
	if len(s) != eanLen {
		return fmt.Errorf("EAN %q: want %d digits, got %d characters", s, eanLen, len(s))
	}
	c, ok := CheckDigit(s[:eanLen-1])
	if !ok || !allDigits(s[eanLen-1:]) {
		return fmt.Errorf("EAN %q: not all digits", s)
	}
	if c != s[eanLen-1] {
		return fmt.Errorf("EAN %q: check digit %c, want %c", s, s[eanLen-1], c)
	}
	return nil
}

// Reference returns the 13-digit payment reference of an EAN: its last 13
// digits.
func Reference(ean string) string {
	if len(ean) < refLen {
		return ean
	}
	return ean[len(ean)-refLen:]
}

// checkReference validates the shape of a payment reference and its check
// digit, rebuilding the EAN with prefix. It returns a reason for the
// customer, or "" when the reference is well formed.
func checkReference(ref, prefix string) string {
	if len(ref) != refLen || !allDigits(ref) {
		return fmt.Sprintf("reference %q is not %d digits (the last %d digits of the EAN)", ref, refLen, refLen)
	}
	if ValidateEAN(prefix+ref) != nil {
		return fmt.Sprintf("reference %q has a wrong check digit", ref)
	}
	return ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
