package security

import (
	"bytes"
	"crypto/cipher"
	"testing"
)

// sealAndCollect runs the pattern of a ciphered block transfer: seal a block
// into a fresh buffer, open it, append the plaintext to a growing value,
// then seal a small request. It reports whether the collected value was
// ever overwritten.
func sealAndCollect(t *testing.T, aead cipher.AEAD) (corrupted int) {
	t.Helper()
	nonce := make([]byte, 12)
	ad := make([]byte, 17)
	for iter := 0; iter < 200; iter++ {
		var value []byte
		for blk := 0; blk < 6; blk++ {
			block := append([]byte{0xC4, 2, 0xC2, 0, 0, 0, 0, byte(blk), 0, 0x82, 3, 0xD6}, bytes.Repeat([]byte{9}, 982)...)
			header := []byte{0xDB, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0x82, 4, 0, 0x30, 0, 0, 0, 1}
			sealed := aead.Seal(header, nonce, block, ad)
			plain, err := aead.Open(nil, nonce, sealed[len(header):], ad)
			if err != nil {
				t.Fatal(err)
			}
			value = append(value, plain[12:]...)
			aead.Seal([]byte{0xDB, 8, 1, 2, 3, 4, 5, 6, 7, 8, 24, 0x30, 0, 0, 0, 1}, nonce, []byte{0xC0, 2, 0xC2, 0, 0, 0, byte(blk)}, ad)
			if value[0] != 9 {
				corrupted++
				break
			}
		}
	}
	return corrupted
}

func TestNewGCMLeavesNeighboursAlone(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 16)
	aead, err := NewGCM(key, TagSize)
	if err != nil {
		t.Fatal(err)
	}
	if n := sealAndCollect(t, aead); n != 0 {
		t.Fatalf("NewGCM: the collected value was overwritten in %d of 200 runs", n)
	}
	// The same run over the standard library's fused assembly fails on the
	// hosts where it misbehaves (and may crash the runtime there), so it is
	// not run here.
}

func TestNewGCMKnownAnswer(t *testing.T) {
	// Green Book suite-0 example (see context tests): the portable
	// construction gives the same bytes as any AES-GCM.
	ek := []byte{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F}
	ak := []byte{0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF}
	nonce := []byte{0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E, 0x01, 0x23, 0x45, 0x67}
	plain := []byte{0xC0, 0x01, 0x00, 0x00, 0x08, 0x00, 0x00, 0x01, 0x00, 0x00, 0xFF, 0x02, 0x00}
	want := []byte{0x41, 0x13, 0x12, 0xFF, 0x93, 0x5A, 0x47, 0x56, 0x68, 0x27, 0xC4, 0x67, 0xBC, 0x7D, 0x82, 0x5C, 0x3B, 0xE4, 0xA7, 0x7C, 0x3F, 0xCC, 0x05, 0x6B, 0x6B}
	aead, err := NewGCM(ek, TagSize)
	if err != nil {
		t.Fatal(err)
	}
	got := aead.Seal(nil, nonce, plain, append([]byte{0x30}, ak...))
	if !bytes.Equal(got, want) {
		t.Fatalf("got % X\nwant % X", got, want)
	}
	if _, err := NewGCM(ek[:15], TagSize); err == nil {
		t.Error("a 15-byte key was accepted")
	}
}
