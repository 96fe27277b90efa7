package prepay

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"testing/quick"
)

func TestParseCents(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Cents
	}{
		{"10.00", 1000},
		{"-3.50", -350},
		{"12.4", 1240},
		{"7", 700},
		{"+1.00", 100},
		{"0.05", 5},
		{"-0.00", 0},
		{"250.01", 25001},
		{"0012.40", 1240},
		{"92233720368547757.99", 9223372036854775799},
	} {
		got, err := ParseCents(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseCents(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseCentsErrors(t *testing.T) {
	for _, tc := range []struct{ in, why string }{
		{"", "empty"},
		{"-", "no digit before"},
		{".50", "no digit before"},
		{"12.", "no digit after"},
		{"1.234", "more than two decimals"},
		{"12,40", "use '.'"},
		{"1,000.00", "use '.'"},
		{" 12.40", "unexpected character"},
		{"12.40 ", "unexpected character"},
		{"1e3", "unexpected character"},
		{"--1", "unexpected character"},
		{"1.-5", "unexpected character"},
		{"€5", "unexpected character"},
		{"92233720368547758.00", "too large"},
		{"99999999999999999999", "too large"},
	} {
		_, err := ParseCents(tc.in)
		if !errors.Is(err, ErrBadAmount) || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("ParseCents(%q) error %v, want %q", tc.in, err, tc.why)
		}
	}
}

func TestCentsString(t *testing.T) {
	for _, tc := range []struct {
		in   Cents
		want string
	}{
		{1720, "17.20"},
		{-150, "-1.50"},
		{0, "0.00"},
		{5, "0.05"},
		{-5, "-0.05"},
		{100, "1.00"},
		{math.MaxInt64, "92233720368547758.07"},
		{math.MinInt64, "-92233720368547758.08"},
	} {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("Cents(%d).String() = %q, want %q", int64(tc.in), got, tc.want)
		}
	}
}

func TestCentsRoundTrip(t *testing.T) {
	f := func(v int64) bool {
		if v == math.MinInt64 || v > (math.MaxInt64-99)/100*100 || v < -(math.MaxInt64-99)/100*100 {
			return true
		}
		c := Cents(v)
		back, err := ParseCents(c.String())
		return err == nil && back == c
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 2000}); err != nil {
		t.Error(err)
	}
}

func TestCentsJSON(t *testing.T) {
	b, err := json.Marshal(struct{ A Cents }{-150})
	if err != nil || string(b) != `{"A":"-1.50"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var v struct{ A Cents }
	if err := json.Unmarshal([]byte(`{"A":"12.4"}`), &v); err != nil || v.A != 1240 {
		t.Fatalf("Unmarshal = %d, %v", v.A, err)
	}
	if err := json.Unmarshal([]byte(`{"A":"1.234"}`), &v); !errors.Is(err, ErrBadAmount) {
		t.Fatalf("Unmarshal of 1.234: %v", err)
	}
}

func FuzzParseCents(f *testing.F) {
	for _, s := range []string{"10.00", "-3.50", "12.4", "7", "+1.00", "1.234", "12,40", "", "-", "92233720368547758.07"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCents(s)
		if err != nil {
			if !errors.Is(err, ErrBadAmount) {
				t.Fatalf("error %v does not wrap ErrBadAmount", err)
			}
			return
		}
		back, err := ParseCents(c.String())
		if err != nil || back != c {
			t.Fatalf("%q → %d → %q → %d, %v", s, c, c.String(), back, err)
		}
	})
}

func ExampleParseCents() {
	c, _ := ParseCents("12.4")
	fmt.Println(c, c-2000)
	_, err := ParseCents("12,40")
	fmt.Println(err)
	// Output:
	// 12.40 -7.60
	// malformed amount "12,40": use '.' as the decimal point, without thousands separators
}
