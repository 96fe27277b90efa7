package dlms_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/openhes/hes/dlms"
)

func TestParseOBIS(t *testing.T) {
	tests := []struct {
		in   string
		want dlms.OBIS
	}{
		{"1-0:1.8.1.255", dlms.OBIS{1, 0, 1, 8, 1, 255}},
		{"1-0:1.8.1", dlms.OBIS{1, 0, 1, 8, 1, 255}},
		{"1-0:1.8.1*255", dlms.OBIS{1, 0, 1, 8, 1, 255}},
		{"1-0:1.8.1*101", dlms.OBIS{1, 0, 1, 8, 1, 101}},
		{"1.0.1.8.1.255", dlms.OBIS{1, 0, 1, 8, 1, 255}},
		{"0-0:1.0.0.255", dlms.OBIS{0, 0, 1, 0, 0, 255}},
		{"0.0.40.0.0.255", dlms.OBIS{0, 0, 40, 0, 0, 255}},
		{"0-0:0.0.0.0", dlms.OBIS{}},
		{"255-255:255.255.255.255", dlms.OBIS{255, 255, 255, 255, 255, 255}},
		{"007-0:96.1.0.255", dlms.OBIS{7, 0, 96, 1, 0, 255}},
	}
	for _, tt := range tests {
		got, err := dlms.ParseOBIS(tt.in)
		if err != nil {
			t.Errorf("ParseOBIS(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseOBIS(%q) = %v, want %v", tt.in, [6]byte(got), [6]byte(tt.want))
		}
	}
}

func TestParseOBISErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string // the error text after the input
	}{
		{"", "want A-B:C.D.E[.F] or A.B.C.D.E.F"},
		{"1.0.1.8.1", "want A-B:C.D.E[.F] or A.B.C.D.E.F"},
		{"1.0.1.8.1.255.0", "want A-B:C.D.E[.F] or A.B.C.D.E.F"},
		{"1-0.1.8.0.255", "want A-B:C.D.E[.F] or A.B.C.D.E.F"},
		{"1:1.8.0.255", "want A-B before the colon"},
		{"1-0-0:1.8.0.255", "want A-B before the colon"},
		{"1-0:1.8", "want C.D.E or C.D.E.F after the colon"},
		{"1-0:1.8.0.255.1", "want C.D.E or C.D.E.F after the colon"},
		{"1-0:1.8*255", "want C.D.E*F after the colon"},
		{"1-0:1.8.0*255.1", "want C.D.E*F after the colon"},
		{"1-0:1.8.0*2*5", "want C.D.E*F after the colon"},
		{"1-0:1.8.0:255", `value group E "0:255" is not a number from 0 to 255`},
		{"256-0:1.8.0.255", `value group A "256" is not a number from 0 to 255`},
		{"1-x:1.8.0.255", `value group B "x" is not a number from 0 to 255`},
		{"1-0:-1.8.0.255", `value group C "-1" is not a number from 0 to 255`},
		{"1-0:1..0.255", `value group D "" is not a number from 0 to 255`},
		{"1-0:1.8.0.+5", `value group F "+5" is not a number from 0 to 255`},
		{"1.0.1.8.0. 255", `value group F " 255" is not a number from 0 to 255`},
		{"1-0:1.8.0*", `value group F "" is not a number from 0 to 255`},
		{"1.0.1.8.0.0x1", `value group F "0x1" is not a number from 0 to 255`},
	}
	for _, tt := range tests {
		o, err := dlms.ParseOBIS(tt.in)
		if err == nil {
			t.Errorf("ParseOBIS(%q) = %v, want an error", tt.in, o)
			continue
		}
		if !errors.Is(err, dlms.ErrOBIS) {
			t.Errorf("ParseOBIS(%q): %v does not wrap ErrOBIS", tt.in, err)
		}
		if !strings.HasSuffix(err.Error(), tt.want) || !strings.Contains(err.Error(), `"`+tt.in+`"`) {
			t.Errorf("ParseOBIS(%q): %q, want the input quoted and the suffix %q", tt.in, err, tt.want)
		}
	}
}

func TestOBISString(t *testing.T) {
	tests := []struct {
		o    dlms.OBIS
		want string
	}{
		{dlms.OBIS{1, 0, 1, 8, 1, 255}, "1-0:1.8.1.255"},
		{dlms.OBIS{}, "0-0:0.0.0.0"},
		{dlms.OBIS{255, 255, 255, 255, 255, 255}, "255-255:255.255.255.255"},
	}
	for _, tt := range tests {
		if got := tt.o.String(); got != tt.want {
			t.Errorf("%v.String() = %q, want %q", [6]byte(tt.o), got, tt.want)
		}
		back, err := dlms.ParseOBIS(tt.want)
		if err != nil || back != tt.o {
			t.Errorf("ParseOBIS(%q) = %v, %v: no round trip", tt.want, back, err)
		}
	}
}

func TestOBISFromBytes(t *testing.T) {
	o, err := dlms.OBISFromBytes([]byte{0x01, 0x00, 0x01, 0x08, 0x00, 0xFF})
	if err != nil || o.String() != "1-0:1.8.0.255" {
		t.Fatalf("OBISFromBytes = %v, %v", o, err)
	}
	if got := o.Bytes(); string(got) != "\x01\x00\x01\x08\x00\xff" {
		t.Errorf("Bytes() = % x", got)
	}
	for _, n := range []int{0, 5, 7} {
		_, err := dlms.OBISFromBytes(make([]byte, n))
		if !errors.Is(err, dlms.ErrOBIS) || !strings.Contains(err.Error(), "want 6") {
			t.Errorf("OBISFromBytes(%d bytes): %v, want ErrOBIS saying 6 bytes are wanted", n, err)
		}
	}
}

func TestMustOBIS(t *testing.T) {
	if got := dlms.MustOBIS("0-0:1.0.0.255"); got != (dlms.OBIS{0, 0, 1, 0, 0, 255}) {
		t.Errorf("MustOBIS = %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustOBIS of a bad code did not panic")
		}
	}()
	dlms.MustOBIS("1-0:1.8")
}

func TestOBISText(t *testing.T) {
	type profile struct {
		Energy dlms.OBIS `json:"energy"`
	}
	b, err := json.Marshal(profile{dlms.MustOBIS("1-0:1.8.0.255")})
	if err != nil || string(b) != `{"energy":"1-0:1.8.0.255"}` {
		t.Fatalf("json.Marshal = %s, %v", b, err)
	}
	var p profile
	if err := json.Unmarshal([]byte(`{"energy":"1.0.2.8.0.255"}`), &p); err != nil || p.Energy != dlms.MustOBIS("1-0:2.8.0.255") {
		t.Fatalf("json.Unmarshal = %v, %v", p.Energy, err)
	}
	err = json.Unmarshal([]byte(`{"energy":"1-0:2.8"}`), &p)
	if !errors.Is(err, dlms.ErrOBIS) {
		t.Errorf("json.Unmarshal of a bad code: %v, want ErrOBIS", err)
	}
}
