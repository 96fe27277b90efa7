package hdlc

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestParams(t *testing.T) {
	for _, c := range []struct {
		name string
		p    Params
		want string
	}{
		// The UA of the Gurux server in every HDLC vector session.
		{"defaults stated", Params{MaxInfoTx: 128, MaxInfoRx: 128, WindowTx: 1, WindowRx: 1}, "818012050180060180070400000001080400000001"},
		{"two-byte lengths", Params{MaxInfoTx: 1024, MaxInfoRx: 2030, WindowTx: 7, WindowRx: 7}, "81801405020400060207EE070400000007080400000007"},
		{"receive only", Params{MaxInfoRx: 256}, "81800406020100"},
		{"window only", Params{WindowRx: 3}, "818006080400000003"},
		{"none", Params{}, ""},
	} {
		got, err := AppendParams([]byte{0xE6}, c.p)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if hex.EncodeToString(got[1:]) != strings.ToLower(c.want) {
			t.Errorf("%s: AppendParams = % X, want %s", c.name, got[1:], c.want)
		}
		back, err := ParseParams(got[1:])
		if err != nil || back != c.p {
			t.Errorf("%s: ParseParams = %+v, %v", c.name, back, err)
		}
	}
}

func TestParseParamsLenient(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		want Params
	}{
		{"widths 1 to 4", "818012" + "05020080" + "0603000100" + "070103" + "080400000002", Params{128, 256, 3, 2}},
		{"unknown parameter skipped", "818008" + "0903010203" + "05010F", Params{MaxInfoTx: 15}},
		{"user group after", "818003" + "050180" + "F0020102", Params{MaxInfoTx: 128}},
	} {
		got, err := ParseParams(unhex(t, c.in))
		if err != nil || got != c.want {
			t.Errorf("%s: ParseParams = %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
}

func TestParseParamsErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		in     string
		offset int
	}{
		{"too short", "8180", 0},
		{"format", "828000", 0},
		{"group", "818100", 1},
		{"group length", "8180040501", 2},
		{"parameter header", "81800105", 3},
		{"value past end", "8180030502FF", 3},
		{"five-byte value", "8180070505000000000180", 3},
		{"empty value", "8180020500", 3},
		{"value too big", "818006070400010000", 3},
	} {
		_, err := ParseParams(unhex(t, c.in))
		var pe *ParamsError
		if !errors.Is(err, ErrBadParams) || !errors.As(err, &pe) || pe.Offset != c.offset {
			t.Errorf("%s: err = %v, want ErrBadParams at offset %d", c.name, err, c.offset)
		}
	}
	for _, p := range []Params{{MaxInfoTx: -1}, {WindowRx: 0x10000}} {
		if _, err := AppendParams(nil, p); !errors.Is(err, ErrBadParams) {
			t.Errorf("AppendParams(%+v) err = %v", p, err)
		}
	}
}

func TestParamsHelpers(t *testing.T) {
	p := Params{MaxInfoTx: 512, WindowRx: 7}
	if got := p.WithDefaults(); got != (Params{512, 128, 1, 7}) {
		t.Errorf("WithDefaults = %+v", got)
	}
	if got := p.Swap(); got != (Params{MaxInfoRx: 512, WindowTx: 7}) {
		t.Errorf("Swap = %+v", got)
	}
}

func TestLLC(t *testing.T) {
	if got := hex.EncodeToString(AppendLLC(nil, false)); got != "e6e600" {
		t.Errorf("command LLC = %s", got)
	}
	if got := hex.EncodeToString(AppendLLC([]byte{1}, true)); got != "01e6e700" {
		t.Errorf("response LLC = %s", got)
	}
	apdu, resp, err := CutLLC([]byte{0xE6, 0xE7, 0x00, 0xC4})
	if err != nil || !resp || len(apdu) != 1 || apdu[0] != 0xC4 {
		t.Errorf("CutLLC response = %X %v %v", apdu, resp, err)
	}
	for _, bad := range [][]byte{nil, {0xE6, 0xE6}, {0xE7, 0xE6, 0x00}, {0xE6, 0xE8, 0x00}, {0xE6, 0xE6, 0x01}} {
		if _, _, err := CutLLC(bad); !errors.Is(err, ErrBadLLC) {
			t.Errorf("CutLLC(% X) err = %v", bad, err)
		}
	}
}
