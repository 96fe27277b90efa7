package hdlc

// The frame check sequences of IEC 62056-46 (HCS over the header, FCS over
// the whole frame) are CRC-16/X.25: the reflected polynomial 0x8408 (x^16 +
// x^12 + x^5 + 1), initial value 0xFFFF, final XOR 0xFFFF. On the wire the
// least significant byte comes first.

// crcTables[0] holds the CRC of every byte value; crcTables[k] advances
// that by k more zero bytes, so that eight bytes are folded in at once
// ("slicing by 8").
var crcTables = func() (t [8][256]uint16) {
	for i := range t[0] {
		c := uint16(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0x8408
			} else {
				c >>= 1
			}
		}
		t[0][i] = c
	}
	for k := 1; k < 8; k++ {
		for i := range t[k] {
			c := t[k-1][i]
			t[k][i] = c>>8 ^ t[0][byte(c)]
		}
	}
	return t
}()

// Checksum returns the CRC-16/X.25 of b, the value of an HCS or FCS that
// covers b. The check value of the ASCII string "123456789" is 0x906E.
func Checksum(b []byte) uint16 {
	c := uint16(0xFFFF)
	t := &crcTables
	for len(b) >= 8 {
		c ^= uint16(b[0]) | uint16(b[1])<<8
		c = t[7][byte(c)] ^ t[6][c>>8] ^ t[5][b[2]] ^ t[4][b[3]] ^
			t[3][b[4]] ^ t[2][b[5]] ^ t[1][b[6]] ^ t[0][b[7]]
		b = b[8:]
	}
	for _, x := range b {
		c = c>>8 ^ t[0][byte(c)^x]
	}
	return c ^ 0xFFFF
}

// appendChecksum appends the CRC of b[from:] to b, least significant byte
// first.
func appendChecksum(b []byte, from int) []byte {
	c := Checksum(b[from:])
	return append(b, byte(c), byte(c>>8))
}

// checksumOK reports whether the two bytes that follow b[from:to] are the
// CRC of b[from:to].
func checksumOK(b []byte, from, to int) bool {
	c := Checksum(b[from:to])
	return b[to] == byte(c) && b[to+1] == byte(c>>8)
}
