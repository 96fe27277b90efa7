package security_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/openhes/hes/dlms/security"
)

// The test vectors of RFC 3394, section 4.
func TestKeyWrapRFC3394(t *testing.T) {
	const (
		kek128 = "000102030405060708090A0B0C0D0E0F"
		kek192 = "000102030405060708090A0B0C0D0E0F1011121314151617"
		kek256 = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
		key128 = "00112233445566778899AABBCCDDEEFF"
		key192 = "00112233445566778899AABBCCDDEEFF0001020304050607"
		key256 = "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F"
	)
	tests := []struct {
		section, kek, key, wrapped string
	}{
		{"4.1", kek128, key128, "1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5"},
		{"4.2", kek192, key128, "96778B25AE6CA435 F92B5B97C050AED2 468AB8A17AD84E5D"},
		{"4.3", kek256, key128, "64E8C3F9CE0F5BA2 63E9777905818A2A 93C8191E7D6E8AE7"},
		{"4.4", kek192, key192, "031D33264E15D332 68F24EC260743EDC E1C6C7DDEE725A93 6BA814915C6762D2"},
		{"4.5", kek256, key192, "A8F9BC1612C68B3F F6E6F4FBE30E71E4 769C8B80A32CB895 8CD5D17D6B254DA1"},
		{"4.6", kek256, key256, "28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B FB988B9B7A02DD21"},
	}
	for _, tt := range tests {
		t.Run(tt.section, func(t *testing.T) {
			got, err := security.WrapKey([]byte{0xEE}, unhex(tt.kek), unhex(tt.key))
			if err != nil {
				t.Fatal(err)
			}
			if want := append([]byte{0xEE}, unhex(tt.wrapped)...); !bytes.Equal(got, want) {
				t.Fatalf("WrapKey = %X, want %X", got, want)
			}
			key, err := security.UnwrapKey([]byte{0xEE}, unhex(tt.kek), unhex(tt.wrapped))
			if err != nil {
				t.Fatal(err)
			}
			if want := append([]byte{0xEE}, unhex(tt.key)...); !bytes.Equal(key, want) {
				t.Fatalf("UnwrapKey = %X, want %X", key, want)
			}
		})
	}
}

func TestKeyWrapErrors(t *testing.T) {
	kek := unhex("000102030405060708090A0B0C0D0E0F")
	key := unhex("00112233445566778899AABBCCDDEEFF")
	wrapped := unhex("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5")
	for _, tt := range []struct {
		name string
		kek  []byte
		key  []byte
	}{
		{"KEK of 15 bytes", kek[:15], key},
		{"no KEK", nil, key},
		{"key of 8 bytes", kek, key[:8]},
		{"key of 20 bytes", kek, append(bytes.Clone(key), 1, 2, 3, 4)},
	} {
		if _, err := security.WrapKey(nil, tt.kek, tt.key); !errors.Is(err, security.ErrKey) {
			t.Errorf("WrapKey %s: %v, want ErrKey", tt.name, err)
		}
	}
	for _, tt := range []struct {
		name    string
		kek     []byte
		wrapped []byte
		want    error
	}{
		{"KEK of 17 bytes", append(bytes.Clone(kek), 0), wrapped, security.ErrKey},
		{"16 bytes", kek, wrapped[:16], security.ErrKey},
		{"25 bytes", kek, append(bytes.Clone(wrapped), 0), security.ErrKey},
		{"wrong KEK", unhex("000102030405060708090A0B0C0D0E0E"), wrapped, security.ErrUnwrap},
		{"altered first byte", kek, append([]byte{wrapped[0] ^ 1}, wrapped[1:]...), security.ErrUnwrap},
		{"altered last byte", kek, append(bytes.Clone(wrapped[:23]), wrapped[23]^0x80), security.ErrUnwrap},
	} {
		dst := []byte{1, 2}
		got, err := security.UnwrapKey(dst, tt.kek, tt.wrapped)
		if !errors.Is(err, tt.want) {
			t.Errorf("UnwrapKey %s: %v, want %v", tt.name, err, tt.want)
			continue
		}
		if !bytes.Equal(got, dst) || bytes.Contains(got[:cap(got)], key) {
			t.Errorf("UnwrapKey %s left %X behind", tt.name, got[:cap(got)])
		}
		noKeyMaterial(t, err.Error(), kek, key)
	}
}
