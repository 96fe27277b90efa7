package axdr

import (
	"fmt"
	"math"
)

// AppendLength appends the A-XDR length encoding of n (one byte below 128,
// else 0x80|k followed by k big-endian bytes, k up to 4).
func AppendLength(dst []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(dst, byte(n))
	case n <= 0xFF:
		return append(dst, 0x81, byte(n))
	case n <= 0xFFFF:
		return append(dst, 0x82, byte(n>>8), byte(n))
	case n <= 0xFFFFFF:
		return append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		return append(dst, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// LengthSize is the number of bytes AppendLength writes for n.
func LengthSize(n int) int {
	switch {
	case n < 0x80:
		return 1
	case n <= 0xFF:
		return 2
	case n <= 0xFFFF:
		return 3
	case n <= 0xFFFFFF:
		return 4
	}
	return 5
}

// ReadLength reads an A-XDR length from the front of b and returns it with
// the number of bytes it took. Non-canonical long forms (0x81 0x05) are
// accepted; a length of length of 0 or above 4, or a length above
// math.MaxInt32, is ErrLength.
func ReadLength(b []byte) (n int, size int, err error) {
	if len(b) == 0 {
		return 0, 0, ErrShort
	}
	if b[0] < 0x80 {
		return int(b[0]), 1, nil
	}
	k := int(b[0] & 0x7F)
	if k == 0 || k > 4 {
		return 0, 0, fmt.Errorf("%w: length of length %d", ErrLength, k)
	}
	if len(b) < 1+k {
		return 0, 0, ErrShort
	}
	var v uint64
	for _, c := range b[1 : 1+k] {
		v = v<<8 | uint64(c)
	}
	if v > math.MaxInt32 {
		return 0, 0, fmt.Errorf("%w: %d", ErrLength, v)
	}
	return int(v), 1 + k, nil
}

// bitBytes is the number of bytes that hold n bits.
func bitBytes(n int) int { return n/8 + int(uint(n%8)+7)/8 }
