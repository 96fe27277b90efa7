package security_test

import (
	"testing"

	"github.com/openhes/hes/dlms/security"
)

func TestControl(t *testing.T) {
	tests := []struct {
		c                      security.Control
		suite                  uint8
		auth, enc, bcast, comp bool
		str                    string
	}{
		{0x30, 0, true, true, false, false, "0x30 (suite 0, authenticated, encrypted)"},
		{0x10, 0, true, false, false, false, "0x10 (suite 0, authenticated)"},
		{0x20, 0, false, true, false, false, "0x20 (suite 0, encrypted)"},
		{0x71, 1, true, true, true, false, "0x71 (suite 1, authenticated, encrypted, broadcast key)"},
		{0x82, 2, false, false, false, true, "0x82 (suite 2, compressed)"},
		{0x00, 0, false, false, false, false, "0x00 (suite 0)"},
	}
	for _, tt := range tests {
		if tt.c.Suite() != tt.suite || tt.c.Authenticated() != tt.auth || tt.c.Encrypted() != tt.enc ||
			tt.c.BroadcastKey() != tt.bcast || tt.c.Compressed() != tt.comp || tt.c.String() != tt.str {
			t.Errorf("%#x: suite %d auth %v enc %v bcast %v comp %v %q", uint8(tt.c), tt.c.Suite(), tt.c.Authenticated(),
				tt.c.Encrypted(), tt.c.BroadcastKey(), tt.c.Compressed(), tt.c.String())
		}
	}
}

func TestPolicy(t *testing.T) {
	tests := []struct {
		p       security.Policy
		control security.Control
		name    string
		accepts []security.Control
		rejects []security.Control
	}{
		{security.PolicyNone, 0x00, "none", []security.Control{0x10, 0x20, 0x30}, nil},
		{security.PolicyAuthenticated, 0x10, "authenticated", []security.Control{0x10, 0x30, 0x50}, []security.Control{0x20, 0x00}},
		{security.PolicyEncrypted, 0x20, "encrypted", []security.Control{0x20, 0x30}, []security.Control{0x10, 0x00}},
		{security.PolicyAuthenticatedEncrypted, 0x30, "authenticated and encrypted", []security.Control{0x30, 0x70}, []security.Control{0x10, 0x20}},
	}
	for _, tt := range tests {
		if !tt.p.Valid() || tt.p.Control() != tt.control || tt.p.String() != tt.name {
			t.Errorf("%d: valid %v control %v %q", tt.p, tt.p.Valid(), tt.p.Control(), tt.p.String())
		}
		for _, c := range tt.accepts {
			if !tt.p.SatisfiedBy(c) {
				t.Errorf("%v does not accept %v", tt.p, c)
			}
		}
		for _, c := range tt.rejects {
			if tt.p.SatisfiedBy(c) {
				t.Errorf("%v accepts %v", tt.p, c)
			}
		}
	}
	if p := security.Policy(4); p.Valid() || p.String() != "policy(4)" {
		t.Errorf("policy 4: valid %v %q", p.Valid(), p.String())
	}
}
