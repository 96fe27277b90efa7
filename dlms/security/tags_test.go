package security_test

import (
	"testing"

	"github.com/openhes/hes/dlms/security"
)

// The tags of IEC 62056-5-3 (xDLMS APDUs): each plain tag with its glo-
// and ded- tags.
func TestServiceTags(t *testing.T) {
	tests := []struct {
		plain, glo, ded byte
		gloName         string
	}{
		{0x01, 0x21, 0x41, "glo-initiate-request"},
		{0x05, 0x25, 0x45, "glo-read-request"},
		{0x06, 0x26, 0x46, "glo-write-request"},
		{0x08, 0x28, 0x48, "glo-initiate-response"},
		{0x0C, 0x2C, 0x4C, "glo-read-response"},
		{0x0D, 0x2D, 0x4D, "glo-write-response"},
		{0x0E, 0x2E, 0x4E, "glo-confirmed-service-error"},
		{0x16, 0x36, 0x56, "glo-unconfirmed-write-request"},
		{0x18, 0x38, 0x58, "glo-information-report-request"},
		{0xC0, 0xC8, 0xD0, "glo-get-request"},
		{0xC1, 0xC9, 0xD1, "glo-set-request"},
		{0xC2, 0xCA, 0xD2, "glo-event-notification-request"},
		{0xC3, 0xCB, 0xD3, "glo-action-request"},
		{0xC4, 0xCC, 0xD4, "glo-get-response"},
		{0xC5, 0xCD, 0xD5, "glo-set-response"},
		{0xC7, 0xCF, 0xD7, "glo-action-response"},
	}
	seen := map[byte]bool{}
	for _, tt := range tests {
		if g, ok := security.GlobalTag(tt.plain); !ok || g != tt.glo {
			t.Errorf("GlobalTag(%#x) = %#x %v, want %#x", tt.plain, g, ok, tt.glo)
		}
		if d, ok := security.DedicatedTag(tt.plain); !ok || d != tt.ded {
			t.Errorf("DedicatedTag(%#x) = %#x %v, want %#x", tt.plain, d, ok, tt.ded)
		}
		for _, c := range []byte{tt.glo, tt.ded} {
			if p, ok := security.PlainTag(c); !ok || p != tt.plain {
				t.Errorf("PlainTag(%#x) = %#x %v, want %#x", c, p, ok, tt.plain)
			}
			if !security.IsCiphered(c) {
				t.Errorf("IsCiphered(%#x) = false", c)
			}
		}
		if security.IsCiphered(tt.plain) {
			t.Errorf("IsCiphered(%#x) = true for a plain tag", tt.plain)
		}
		if got := security.TagName(tt.glo); got != tt.gloName {
			t.Errorf("TagName(%#x) = %q, want %q", tt.glo, got, tt.gloName)
		}
		if got, want := security.TagName(tt.ded), "ded-"+tt.gloName[len("glo-"):]; got != want {
			t.Errorf("TagName(%#x) = %q, want %q", tt.ded, got, want)
		}
		seen[tt.plain], seen[tt.glo], seen[tt.ded] = true, true, true
	}
	seen[security.TagGeneralGloCiphering], seen[security.TagGeneralDedCiphering] = true, true
	for _, tag := range []byte{security.TagGeneralGloCiphering, security.TagGeneralDedCiphering} {
		if !security.IsCiphered(tag) {
			t.Errorf("IsCiphered(%#x) = false", tag)
		}
		if _, ok := security.PlainTag(tag); ok {
			t.Errorf("PlainTag(%#x) reports a service tag", tag)
		}
	}
	if security.TagName(0xDB) != "general-glo-ciphering" || security.TagName(0xDC) != "general-ded-ciphering" {
		t.Errorf("general tag names %q %q", security.TagName(0xDB), security.TagName(0xDC))
	}
	// Nothing else maps: data-notification, exception-response, the ACSE
	// APDUs, general-ciphering.
	for i := range 256 {
		tag := byte(i)
		if seen[tag] {
			continue
		}
		_, g := security.GlobalTag(tag)
		_, d := security.DedicatedTag(tag)
		_, p := security.PlainTag(tag)
		if g || d || p || security.IsCiphered(tag) {
			t.Errorf("tag %#x maps: glo %v ded %v plain %v ciphered %v", tag, g, d, p, security.IsCiphered(tag))
		}
	}
	if got := security.TagName(0x0F); got != "tag 0x0F" {
		t.Errorf("TagName(0x0F) = %q", got)
	}
}

func TestCipheringForms(t *testing.T) {
	tests := []struct {
		c                             security.Ciphering
		general, dedicated, broadcast bool
		name                          string
	}{
		{security.ServiceGlobal, false, false, false, "service-specific global"},
		{security.ServiceBroadcast, false, false, true, "service-specific global broadcast"},
		{security.ServiceDedicated, false, true, false, "service-specific dedicated"},
		{security.GeneralGlobal, true, false, false, "general global"},
		{security.GeneralBroadcast, true, false, true, "general global broadcast"},
		{security.GeneralDedicated, true, true, false, "general dedicated"},
		{0, false, false, false, "ciphering(0)"},
	}
	for _, tt := range tests {
		if tt.c.General() != tt.general || tt.c.Dedicated() != tt.dedicated || tt.c.Broadcast() != tt.broadcast || tt.c.String() != tt.name {
			t.Errorf("%d: general %v dedicated %v broadcast %v %q", tt.c, tt.c.General(), tt.c.Dedicated(), tt.c.Broadcast(), tt.c.String())
		}
	}
}
