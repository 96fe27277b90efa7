package meter

import (
	"errors"
	"strings"
	"testing"
)

func TestEANCheckDigit(t *testing.T) {
	tests := []struct {
		first17 string
		want    byte
	}{
		{"54141234567890123", '5'},
		{"54100000000000000", '8'},
		{"54999999999999999", '2'},
		{"54144880000012345", '7'},
		{"73500538500000001", '1'}, // the GSRN example of the GS1 specifications
	}
	for _, tt := range tests {
		got, err := EANCheckDigit(tt.first17)
		if err != nil || got != tt.want {
			t.Errorf("EANCheckDigit(%s) = %c, %v; want %c", tt.first17, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "5414123456789012", "541412345678901234", "5414123456789012x"} {
		if _, err := EANCheckDigit(bad); !errors.Is(err, ErrEAN) {
			t.Errorf("EANCheckDigit(%q): %v", bad, err)
		}
	}
}

func TestValidEAN(t *testing.T) {
	tests := []struct {
		ean        string
		wants      string // "" when valid
		checkDigit bool
	}{
		{"541412345678901235", "", false},
		{"541448800000123457", "", false},
		{"541412345678901236", "check digit 6, want 5", true},
		{"541412345678901230", "check digit 0, want 5", true},
		{"735005385000000011", "starts with 73, want 54", false},
		{"54141234567890123", "17 characters", false},
		{"5414123456789012355", "19 characters", false},
		{"", "0 characters", false},
		{"54141234567890123a", `character 18 ('a')`, false},
		{"5414 2345678901235", `character 5 (' ')`, false},
	}
	for _, tt := range tests {
		err := ValidEAN(tt.ean)
		if tt.wants == "" {
			if err != nil {
				t.Errorf("ValidEAN(%q) = %v", tt.ean, err)
			}
			continue
		}
		if !errors.Is(err, ErrEAN) || !strings.Contains(err.Error(), tt.wants) {
			t.Errorf("ValidEAN(%q) = %v, want %q", tt.ean, err, tt.wants)
		}
		if errors.Is(err, ErrEANCheckDigit) != tt.checkDigit {
			t.Errorf("ValidEAN(%q): check digit error %v, want %v", tt.ean, errors.Is(err, ErrEANCheckDigit), tt.checkDigit)
		}
	}
}

// TestEANSingleDigitErrors: the check digit catches every change of a
// single digit.
func TestEANSingleDigitErrors(t *testing.T) {
	good := []byte("541448800000123457")
	for i := 2; i < len(good); i++ {
		for d := byte('0'); d <= '9'; d++ {
			if d == good[i] {
				continue
			}
			b := append([]byte(nil), good...)
			b[i] = d
			if ValidEAN(string(b)) == nil {
				t.Errorf("%s accepted", b)
			}
		}
	}
}

func FuzzValidEAN(f *testing.F) {
	f.Add("541448800000123457")
	f.Add("5414488000001234")
	f.Add("54144880000012345x")
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidEAN(s)
		if err != nil {
			return
		}
		c, err := EANCheckDigit(s[:17])
		if err != nil || c != s[17] || s[:2] != "54" {
			t.Errorf("%q valid, but check digit %c, %v", s, c, err)
		}
	})
}
