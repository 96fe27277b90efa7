package security_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/openhes/hes/dlms/security"
)

func TestParseCiphered(t *testing.T) {
	payload := bytes.Repeat([]byte{0xAB}, 300)
	tests := []struct {
		name  string
		in    string
		want  security.Ciphered
		n     int
		canon string // the encoding Append gives, if not in
	}{
		{"glo-get-request (Green Book)", "C8 1E 30 01234567 411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B",
			security.Ciphered{Tag: 0xC8, Control: 0x30, Counter: 0x01234567, Payload: unhex("411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B")}, 32, ""},
		{"followed by more bytes", "D7 06 20 00000001 AA FF FF",
			security.Ciphered{Tag: 0xD7, Control: 0x20, Counter: 1, Payload: unhex("AA")}, 8, "D7 06 20 00000001 AA"},
		{"header only", "CC 05 10 FFFFFFFF",
			security.Ciphered{Tag: 0xCC, Control: 0x10, Counter: 0xFFFFFFFF, Payload: []byte{}}, 7, ""},
		{"general-glo-ciphering", "DB 08 4755525558313233 07 30 00000095 5142",
			security.Ciphered{Tag: 0xDB, SystemTitle: unhex("4755525558313233"), Control: 0x30, Counter: 0x95, Payload: unhex("5142")}, 18, ""},
		{"general-ded-ciphering, empty system title", "DC 00 06 30 00000001 00",
			security.Ciphered{Tag: 0xDC, SystemTitle: []byte{}, Control: 0x30, Counter: 1, Payload: unhex("00")}, 9, ""},
		{"long length", "DB 08 4142434445464748 82 0131 30 00000057" + hex.EncodeToString(payload),
			security.Ciphered{Tag: 0xDB, SystemTitle: unhex("4142434445464748"), Control: 0x30, Counter: 0x57, Payload: payload}, 318, ""},
		{"non-canonical length", "C8 81 06 30 00000001 C0",
			security.Ciphered{Tag: 0xC8, Control: 0x30, Counter: 1, Payload: unhex("C0")}, 9, "C8 06 30 00000001 C0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := unhex(tt.in)
			got, n, err := security.ParseCiphered(in)
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.n || !equalCiphered(got, tt.want) {
				t.Fatalf("ParseCiphered = %+v, %d; want %+v, %d", got, n, tt.want, tt.n)
			}
			want := in[:n]
			if tt.canon != "" {
				want = unhex(tt.canon)
			}
			if out := got.Append([]byte{0x99}); !bytes.Equal(out[1:], want) || out[0] != 0x99 {
				t.Errorf("Append = %X, want 99%X", out, want)
			}
		})
	}
}

func equalCiphered(a, b security.Ciphered) bool {
	return a.Tag == b.Tag && bytes.Equal(a.SystemTitle, b.SystemTitle) && (a.SystemTitle == nil) == (b.SystemTitle == nil) &&
		a.Control == b.Control && a.Counter == b.Counter && bytes.Equal(a.Payload, b.Payload)
}

func TestParseCipheredErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		tag    byte
		offset int
	}{
		{"empty", "", 0, 0},
		{"plain tag", "C0 01", 0, 0},
		{"no length", "C8", 0xC8, 1},
		{"short header", "C8 04 30 000000", 0xC8, 2},
		{"content past the end", "C8 06 30 00000001", 0xC8, 2},
		{"length of length 5", "C8 85 0000000006 30 00000001 00", 0xC8, 1},
		{"truncated long length", "C8 82 01", 0xC8, 1},
		{"system title past the end", "DB 08 47555255", 0xDB, 2},
		{"no content length after the system title", "DB 02 4755", 0xDB, 4},
		{"general content past the end", "DB 00 09 30 00000001", 0xDB, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, n, err := security.ParseCiphered(unhex(tt.in))
			if !errors.Is(err, security.ErrMalformed) || n != 0 {
				t.Fatalf("ParseCiphered: %d, %v; want ErrMalformed", n, err)
			}
			if errors.Is(err, security.ErrDecipher) {
				t.Errorf("a parse error %q claims deciphering failed", err)
			}
			var se *security.Error
			if !errors.As(err, &se) || se.Tag != tt.tag || se.Offset != tt.offset || se.HasCounter {
				t.Errorf("error %+v, want tag %#x offset %d", se, tt.tag, tt.offset)
			}
		})
	}
}

func TestCipheredForm(t *testing.T) {
	tests := []struct {
		tag     byte
		control security.Control
		want    security.Ciphering
	}{
		{0xC8, 0x30, security.ServiceGlobal},
		{0xC8, 0x70, security.ServiceBroadcast},
		{0x21, 0x30, security.ServiceGlobal},
		{0xD0, 0x30, security.ServiceDedicated},
		{0x48, 0x10, security.ServiceDedicated},
		{0xDB, 0x30, security.GeneralGlobal},
		{0xDB, 0x50, security.GeneralBroadcast},
		{0xDC, 0x30, security.GeneralDedicated},
		{0xC0, 0x30, 0},
	}
	for _, tt := range tests {
		if got := (security.Ciphered{Tag: tt.tag, Control: tt.control}).Ciphering(); got != tt.want {
			t.Errorf("tag %#x control %v: %v, want %v", tt.tag, tt.control, got, tt.want)
		}
	}
}
