package security_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/openhes/hes/dlms/axdr"
	"github.com/openhes/hes/dlms/security"
)

var (
	rfcKEK = unhex("000102030405060708090A0B0C0D0E0F")
	rfcKey = unhex("00112233445566778899AABBCCDDEEFF")
)

func TestGlobalKeyTransfer(t *testing.T) {
	ak := unhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
	akWrapped, err := security.WrapKey(nil, rfcKEK, ak)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		keys []security.KeyData
		want string
	}{
		// The key of RFC 3394 section 4.1 as the new global unicast key.
		{"one key", []security.KeyData{{ID: security.KeyGlobalUnicast, Key: rfcKey}},
			"01 01 02 02 16 00 09 18 1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"},
		{"two keys", []security.KeyData{{ID: security.KeyAuthentication, Key: ak}, {ID: security.KeyMaster, Key: rfcKey}},
			"01 02 02 02 16 02 09 18" + hex.EncodeToString(akWrapped) + "02 02 16 03 09 18 1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arg, err := security.GlobalKeyTransfer(rfcKEK, tt.keys...)
			if err != nil {
				t.Fatal(err)
			}
			enc := arg.Encode()
			if !bytes.Equal(enc, unhex(tt.want)) {
				t.Fatalf("argument %X, want %s", enc, tt.want)
			}
			dec, n, err := axdr.Decode(enc)
			if err != nil || n != len(enc) {
				t.Fatal(n, err)
			}
			keys, err := security.ParseGlobalKeyTransfer(rfcKEK, dec)
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != len(tt.keys) {
				t.Fatalf("parsed %d keys, want %d", len(keys), len(tt.keys))
			}
			for i := range keys {
				if keys[i].ID != tt.keys[i].ID || !bytes.Equal(keys[i].Key, tt.keys[i].Key) {
					t.Errorf("key %d: %v, want %v", i, keys[i].ID, tt.keys[i].ID)
				}
			}
		})
	}
}

func TestGlobalKeyTransferErrors(t *testing.T) {
	k := func(id security.KeyID, key []byte) security.KeyData { return security.KeyData{ID: id, Key: key} }
	tests := []struct {
		name string
		kek  []byte
		keys []security.KeyData
		want error
	}{
		{"no key", rfcKEK, nil, security.ErrKeyTransfer},
		{"key id 4", rfcKEK, []security.KeyData{k(4, rfcKey)}, security.ErrKey},
		{"twice the same key", rfcKEK, []security.KeyData{k(2, rfcKey), k(2, rfcKey)}, security.ErrKeyTransfer},
		{"key of 15 bytes", rfcKEK, []security.KeyData{k(0, rfcKey[:15])}, security.ErrKey},
		{"key of 24 bytes", rfcKEK, []security.KeyData{k(0, append(bytes.Clone(rfcKey), rfcKey[:8]...))}, security.ErrKey},
		{"KEK of 10 bytes", rfcKEK[:10], []security.KeyData{k(0, rfcKey)}, security.ErrKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := security.GlobalKeyTransfer(tt.kek, tt.keys...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			noKeyMaterial(t, err.Error(), rfcKEK, rfcKey)
		})
	}
}

func TestParseGlobalKeyTransferErrors(t *testing.T) {
	wrapped := unhex("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5")
	entry := func(id axdr.Data, w axdr.Data) axdr.Data { return axdr.Structure(id, w) }
	good := entry(axdr.Enum(0), axdr.OctetString(wrapped))
	tests := []struct {
		name string
		kek  []byte
		arg  axdr.Data
		want error
	}{
		{"not an array", rfcKEK, good, security.ErrKeyTransfer},
		{"empty array", rfcKEK, axdr.Array(), security.ErrKeyTransfer},
		{"element not a structure", rfcKEK, axdr.Array(axdr.Enum(0)), security.ErrKeyTransfer},
		{"structure of one", rfcKEK, axdr.Array(axdr.Structure(axdr.Enum(0))), security.ErrKeyTransfer},
		{"id as unsigned", rfcKEK, axdr.Array(entry(axdr.Uint8(0), axdr.OctetString(wrapped))), security.ErrKeyTransfer},
		{"key as visible-string", rfcKEK, axdr.Array(entry(axdr.Enum(0), axdr.VisibleString(string(wrapped)))), security.ErrKeyTransfer},
		{"key id 7", rfcKEK, axdr.Array(entry(axdr.Enum(7), axdr.OctetString(wrapped))), security.ErrKey},
		{"twice the same key", rfcKEK, axdr.Array(good, good), security.ErrKeyTransfer},
		{"wrapped key of 16 bytes", rfcKEK, axdr.Array(entry(axdr.Enum(0), axdr.OctetString(wrapped[:16]))), security.ErrKey},
		{"wrong KEK", unhex("F00102030405060708090A0B0C0D0E0F"), axdr.Array(good), security.ErrUnwrap},
		{"KEK of 8 bytes", rfcKEK[:8], axdr.Array(good), security.ErrKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := security.ParseGlobalKeyTransfer(tt.kek, tt.arg)
			if !errors.Is(err, tt.want) || keys != nil {
				t.Fatalf("keys %v, err %v; want %v", keys, err, tt.want)
			}
			noKeyMaterial(t, err.Error(), rfcKEK, rfcKey)
		})
	}
}

func TestKeyIDString(t *testing.T) {
	want := map[security.KeyID]string{
		security.KeyGlobalUnicast:   "global unicast encryption key",
		security.KeyGlobalBroadcast: "global broadcast encryption key",
		security.KeyAuthentication:  "authentication key",
		security.KeyMaster:          "master key",
		4:                           "key(4)",
	}
	for id, s := range want {
		if id.String() != s {
			t.Errorf("KeyID(%d) = %q, want %q", id, id.String(), s)
		}
	}
}
