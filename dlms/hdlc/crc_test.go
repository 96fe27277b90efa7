package hdlc

import (
	"math/rand/v2"
	"testing"
)

// crcBitwise is the textbook bit-at-a-time CRC-16/X.25.
func crcBitwise(b []byte) uint16 {
	c := uint16(0xFFFF)
	for _, x := range b {
		c ^= uint16(x)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0x8408
			} else {
				c >>= 1
			}
		}
	}
	return ^c
}

func TestChecksum(t *testing.T) {
	if got := Checksum([]byte("123456789")); got != 0x906E {
		t.Errorf("Checksum(123456789) = %#04x, want 0x906e", got)
	}
	if got := Checksum(nil); got != 0 {
		t.Errorf("Checksum(nil) = %#04x, want 0", got)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		b := make([]byte, rng.IntN(300))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if got, want := Checksum(b), crcBitwise(b); got != want {
			t.Fatalf("Checksum(% X) = %#04x, bitwise %#04x", b, got, want)
		}
	}
}

func BenchmarkChecksum(b *testing.B) {
	buf := make([]byte, 1024)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		Checksum(buf)
	}
}
