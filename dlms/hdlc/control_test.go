package hdlc

import (
	"errors"
	"testing"
)

func TestControlByte(t *testing.T) {
	for _, c := range []struct {
		ctrl Control
		want byte
		str  string
	}{
		{Control{Kind: KindI}, 0x00, "I N(S)=0 N(R)=0"},
		{Control{Kind: KindI, NS: 0, NR: 0, PF: true}, 0x10, "I N(S)=0 N(R)=0 P/F"},
		{Control{Kind: KindI, NS: 1, NR: 1, PF: true}, 0x32, "I N(S)=1 N(R)=1 P/F"},
		{Control{Kind: KindI, NS: 7, NR: 7, PF: true}, 0xFE, "I N(S)=7 N(R)=7 P/F"},
		{Control{Kind: KindI, NS: 5, NR: 2}, 0x4A, "I N(S)=5 N(R)=2"},
		{Control{Kind: KindRR, NR: 2, PF: true}, 0x51, "RR N(R)=2 P/F"},
		{Control{Kind: KindRR, NR: 0}, 0x01, "RR N(R)=0"},
		{Control{Kind: KindRNR, NR: 7, PF: true}, 0xF5, "RNR N(R)=7 P/F"},
		{Control{Kind: KindSNRM, PF: true}, 0x93, "SNRM P/F"},
		{Control{Kind: KindSNRM}, 0x83, "SNRM"},
		{Control{Kind: KindDISC, PF: true}, 0x53, "DISC P/F"},
		{Control{Kind: KindUA, PF: true}, 0x73, "UA P/F"},
		{Control{Kind: KindDM, PF: true}, 0x1F, "DM P/F"},
		{Control{Kind: KindFRMR, PF: true}, 0x97, "FRMR P/F"},
		{Control{Kind: KindUI, PF: true}, 0x13, "UI P/F"},
		{Control{Kind: KindUI}, 0x03, "UI"},
	} {
		if got := c.ctrl.Byte(); got != c.want {
			t.Errorf("%v: Byte() = %#02x, want %#02x", c.ctrl, got, c.want)
		}
		back, err := ParseControl(c.want)
		if err != nil || back != c.ctrl {
			t.Errorf("ParseControl(%#02x) = %+v, %v; want %+v", c.want, back, err, c.ctrl)
		}
		if s := c.ctrl.String(); s != c.str {
			t.Errorf("String() = %q, want %q", s, c.str)
		}
	}
}

// TestParseControlAll checks every byte value: it either decodes to a
// control that encodes back to the same byte, or it is one of the control
// fields IEC 62056-46 does not use.
func TestParseControlAll(t *testing.T) {
	known := 0
	for b := range 256 {
		c, err := ParseControl(byte(b))
		if err != nil {
			if !errors.Is(err, ErrBadControl) {
				t.Errorf("ParseControl(%#02x): %v", b, err)
			}
			continue
		}
		known++
		if got := c.Byte(); got != byte(b) {
			t.Errorf("ParseControl(%#02x) = %v, encodes as %#02x", b, c, got)
		}
	}
	// 128 I (3+3+1 bits), 16 RR and 16 RNR (3+1 bits), 6 unnumbered kinds
	// with P/F set or clear.
	if want := 128 + 32 + 12; known != want {
		t.Errorf("%d control bytes decode, want %d", known, want)
	}
	for _, b := range []byte{0x09, 0x0D, 0x2F, 0xAF, 0xFF} { // REJ, SREJ, SABM, XID, junk
		if _, err := ParseControl(b); !errors.Is(err, ErrBadControl) {
			t.Errorf("ParseControl(%#02x) err = %v, want ErrBadControl", b, err)
		}
	}
}

func TestKindString(t *testing.T) {
	if KindFRMR.String() != "FRMR" || Kind(0).String() != "kind(0)" || Kind(99).String() != "kind(99)" {
		t.Errorf("Kind.String: %v %v %v", KindFRMR, Kind(0), Kind(99))
	}
	if !KindRNR.Supervisory() || KindI.Supervisory() {
		t.Error("Supervisory")
	}
}
