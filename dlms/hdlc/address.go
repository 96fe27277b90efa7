package hdlc

import "fmt"

// Address is an HDLC address of IEC 62056-46.
//
// The client address is always one byte and carries the client SAP in
// Upper. A server address is one, two or four bytes: Upper is the upper HDLC
// address (the logical device), Lower the lower HDLC address (the physical
// device), which a one-byte address does not carry. Every address byte keeps
// seven bits of address; its least significant bit is 1 on the last byte
// only:
//
//	1 byte:  upper<<1 | 1                               upper 0..0x7F
//	2 bytes: upper<<1, lower<<1 | 1                     both 0..0x7F
//	4 bytes: upper's high and low 7 bits, then lower's  both 0..0x3FFF
//
// Size 0 in an address to encode means "the smallest size that carries
// Upper and Lower".
type Address struct {
	Upper uint16
	Lower uint16
	Size  int // 1, 2 or 4 bytes on the wire; 0 to let the encoder choose
}

// ClientAddress returns the one-byte HDLC address of a client SAP (for
// example 16 for the public client, which encodes as 0x21).
func ClientAddress(sap uint8) Address { return Address{Upper: uint16(sap), Size: 1} }

// Special address values of IEC 62056-46.
const (
	NoStation   = 0x00   // the "no station" address
	AllStation  = 0x7F   // broadcast, in one- and two-byte addresses
	AllStation4 = 0x3FFF // broadcast, in four-byte addresses
)

// String formats the address as "upper" (one byte), "upper/lower" (two
// bytes) or "upper/lower (4 bytes)".
func (a Address) String() string {
	switch a.size() {
	case 1:
		return fmt.Sprintf("%d", a.Upper)
	case 2:
		return fmt.Sprintf("%d/%d", a.Upper, a.Lower)
	}
	return fmt.Sprintf("%d/%d (4 bytes)", a.Upper, a.Lower)
}

// size returns the encoded size, resolving Size 0.
func (a Address) size() int {
	if a.Size != 0 {
		return a.Size
	}
	switch {
	case a.Lower == 0 && a.Upper <= 0x7F:
		return 1
	case a.Upper <= 0x7F && a.Lower <= 0x7F:
		return 2
	}
	return 4
}

// check reports why a cannot be encoded, or nil.
func (a Address) check() error {
	switch a.size() {
	case 1:
		if a.Upper > 0x7F || a.Lower != 0 {
			return fmt.Errorf("%w: %d/%d does not fit one byte", ErrBadAddress, a.Upper, a.Lower)
		}
	case 2:
		if a.Upper > 0x7F || a.Lower > 0x7F {
			return fmt.Errorf("%w: %d/%d does not fit two bytes", ErrBadAddress, a.Upper, a.Lower)
		}
	case 4:
		if a.Upper > 0x3FFF || a.Lower > 0x3FFF {
			return fmt.Errorf("%w: %d/%d does not fit four bytes", ErrBadAddress, a.Upper, a.Lower)
		}
	default:
		return fmt.Errorf("%w: size %d", ErrBadAddress, a.Size)
	}
	return nil
}

// appendAddress appends the encoding of a, which check has accepted.
func appendAddress(dst []byte, a Address) []byte {
	switch a.size() {
	case 1:
		return append(dst, byte(a.Upper)<<1|1)
	case 2:
		return append(dst, byte(a.Upper)<<1, byte(a.Lower)<<1|1)
	}
	return append(dst,
		byte(a.Upper>>7)<<1, byte(a.Upper&0x7F)<<1,
		byte(a.Lower>>7)<<1, byte(a.Lower&0x7F)<<1|1)
}

// parseAddress decodes the address at the start of b. It returns
// errTruncated when b ends before the address does.
func parseAddress(b []byte) (Address, int, error) {
	for i := range 4 {
		if i >= len(b) {
			return Address{}, 0, errTruncated
		}
		if b[i]&1 == 0 {
			continue
		}
		switch i + 1 {
		case 1:
			return Address{Upper: uint16(b[0] >> 1), Size: 1}, 1, nil
		case 2:
			return Address{Upper: uint16(b[0] >> 1), Lower: uint16(b[1] >> 1), Size: 2}, 2, nil
		case 4:
			return Address{
				Upper: uint16(b[0]>>1)<<7 | uint16(b[1]>>1),
				Lower: uint16(b[2]>>1)<<7 | uint16(b[3]>>1),
				Size:  4,
			}, 4, nil
		}
		return Address{}, 0, fmt.Errorf("%w: 3 bytes long", ErrBadAddress)
	}
	return Address{}, 0, fmt.Errorf("%w: no end bit in 4 bytes", ErrBadAddress)
}
