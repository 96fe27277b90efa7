package security

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// ErrUnwrap means that wrapped key data failed the integrity check of the
// AES key wrap: a wrong key-encrypting key or altered data.
var ErrUnwrap = errors.New("key unwrap integrity check failed")

// keyWrapIV is the default initial value of RFC 3394, section 2.2.3.1.
var keyWrapIV = [8]byte{0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6}

// WrapKey appends to dst the AES key wrap (RFC 3394) of key under the
// key-encrypting key kek (16, 24 or 32 bytes; in DLMS the master key). key
// must be a multiple of 8 bytes and at least 16; the result is 8 bytes
// longer.
func WrapKey(dst, kek, key []byte) ([]byte, error) {
	if len(key) < 16 || len(key)%8 != 0 {
		return dst, fmt.Errorf("security: wrap: %w: key data of %d bytes, want a multiple of 8 of at least 16", ErrKey, len(key))
	}
	block, err := newKEK(kek)
	if err != nil {
		return dst, err
	}
	n := len(key) / 8
	start := len(dst)
	dst = slices.Grow(dst, 8+len(key))[:start+8+len(key)]
	out := dst[start:]
	a := out[:8]
	copy(a, keyWrapIV[:])
	copy(out[8:], key)
	var b [16]byte
	for j := range 6 {
		for i := 1; i <= n; i++ {
			r := out[8*i : 8*i+8]
			copy(b[:8], a)
			copy(b[8:], r)
			block.Encrypt(b[:], b[:])
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(a, binary.BigEndian.Uint64(b[:8])^t)
			copy(r, b[8:])
		}
	}
	return dst, nil
}

// UnwrapKey appends to dst the key that wrapped holds under kek (RFC 3394).
// It returns ErrUnwrap when the integrity check fails, and appends nothing
// then.
func UnwrapKey(dst, kek, wrapped []byte) ([]byte, error) {
	if len(wrapped) < 24 || len(wrapped)%8 != 0 {
		return dst, fmt.Errorf("security: unwrap: %w: wrapped data of %d bytes, want a multiple of 8 of at least 24", ErrKey, len(wrapped))
	}
	block, err := newKEK(kek)
	if err != nil {
		return dst, err
	}
	n := len(wrapped)/8 - 1
	start := len(dst)
	dst = slices.Grow(dst, len(wrapped)-8)[:start+len(wrapped)-8]
	out := dst[start:]
	copy(out, wrapped[8:])
	var a [8]byte
	copy(a[:], wrapped[:8])
	var b [16]byte
	for j := 5; j >= 0; j-- {
		for i := n; i >= 1; i-- {
			r := out[8*(i-1) : 8*i]
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(b[:8], binary.BigEndian.Uint64(a[:])^t)
			copy(b[8:], r)
			block.Decrypt(b[:], b[:])
			copy(a[:], b[:8])
			copy(r, b[8:])
		}
	}
	if subtle.ConstantTimeCompare(a[:], keyWrapIV[:]) != 1 {
		clear(out)
		return dst[:start], fmt.Errorf("security: unwrap: %w", ErrUnwrap)
	}
	return dst, nil
}

func newKEK(kek []byte) (cipher.Block, error) {
	switch len(kek) {
	case 16, 24, 32:
		return aes.NewCipher(kek)
	}
	return nil, fmt.Errorf("security: %w: key-encrypting key of %d bytes, want 16, 24 or 32", ErrKey, len(kek))
}
